package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/readers/postgres"
)

// result is one run of dbextract.
type result struct {
	err            error
	code           int
	stdout, stderr string
	cfg            postgres.Config // what the extractor was given
	called         bool
	compression    format.Compression
}

// fakeExtract writes segments rows-long segments of a one-column table, or
// fails with err after the first segment.
func fakeExtract(t *testing.T, segments, rows int, err error) func(context.Context, postgres.Config, *format.Writer) (postgres.Stats, error) {
	return func(ctx context.Context, cfg postgres.Config, w *format.Writer) (postgres.Stats, error) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		if cfg.OnPlan != nil {
			cfg.OnPlan(postgres.Plan{Tables: 1, Chunks: segments, EstRows: int64(segments * rows), EstBytes: int64(segments * rows * 8)})
		}
		for i := range segments {
			h := format.Header{
				Table: format.TableID{Engine: "postgres", Database: "shop", Schema: "public", Name: "t"},
				Chunk: format.Chunk{ID: fmt.Sprintf("pk:%d", i), Index: i, Count: segments},
			}
			s, werr := w.Begin(h, []format.Column{{Name: "id", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint"}})
			if werr != nil {
				return postgres.Stats{}, werr
			}
			b := array.NewInt64Builder(mem)
			for j := range rows {
				b.Append(int64(i*rows + j))
			}
			col := b.NewArray()
			rec := array.NewRecordBatch(s.Schema(), []arrow.Array{col}, int64(rows))
			werr = s.Write(rec)
			rec.Release()
			col.Release()
			b.Release()
			if werr != nil {
				s.Abort()
				return postgres.Stats{}, werr
			}
			if werr := s.Close(); werr != nil {
				return postgres.Stats{}, werr
			}
			if cfg.OnChunk != nil {
				cfg.OnChunk(postgres.ChunkDone{Table: "public.t", Chunk: h.Chunk.ID, Rows: int64(rows), EstBytes: int64(rows * 8)})
			}
			if err != nil {
				return postgres.Stats{}, err
			}
		}
		return postgres.Stats{Tables: 1, Chunks: segments, Rows: int64(segments * rows), Snapshot: "00000003-1"}, nil
	}
}

type runOpts struct {
	terminal bool
	extract  func(context.Context, postgres.Config, *format.Writer) (postgres.Stats, error)
	stdout   io.Writer // default: a buffer
}

func runExtract(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	var res result
	var stdout, stderr bytes.Buffer
	e := newEnv(&stdout, &stderr)
	if o.stdout != nil {
		e.stdout = o.stdout
	}
	e.isTerminal = func(any) bool { return o.terminal }
	e.extract = func(ctx context.Context, cfg postgres.Config, w *format.Writer) (postgres.Stats, error) {
		res.cfg, res.called = cfg, true
		if o.extract == nil {
			return fakeExtract(t, 2, 10, nil)(ctx, cfg, w)
		}
		return o.extract(ctx, cfg, w)
	}
	res.err = command.Run(t.Context(), e.app(), append([]string{"dbextract"}, args...))
	command.Report(&stderr, "dbextract", res.err)
	res.code = command.ExitCode(res.err)
	res.stdout, res.stderr = stdout.String(), stderr.String()
	return res
}

// readStream reads a whole stream and returns its row count.
func readStream(t *testing.T, data []byte) int64 {
	t.Helper()
	r := format.NewReader(bufio.NewReader(bytes.NewReader(data)), format.ReaderOptions{})
	var rows int64
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("reading the output stream: %v", err)
		}
		for {
			rec, err := seg.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("reading the output stream: %v", err)
			}
			rows += rec.NumRows()
		}
	}
}

func TestHelp(t *testing.T) {
	res := runExtract(t, runOpts{}, "--help")
	if res.code != 0 || res.called {
		t.Fatalf("--help: exit %d, extract called %v, stderr %q", res.code, res.called, res.stderr)
	}
	for _, want := range []string{
		"Usage: dbextract [flags] SOURCE_DSN",
		"dbextract postgres://app@db1/shop > shop.arrows",
		"dbextract --tables 'public.orders,public.order_items' --parallel 4 postgres://app@db1/shop | dbload --create postgres://app@db2/shop",
		"dbextract postgres://app@db1/shop --compression lz4 | dbload postgres://app@db2/shop --create",
		"--chunk-size SIZE", "(default: 32MiB)", "--split-by", "--numeric", "--unsupported", "--snapshot",
		"--output FILE, -o FILE", "--log-level", "--progress",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestFlagsBeforeAndAfterDSN(t *testing.T) {
	for _, args := range [][]string{
		{"--tables", "public.orders, public.order_items", "-t", "x*", "--parallel", "4", "--compression=lz4", "--chunk-size", "1GB",
			"--split-by", "ctid", "--batch-rows", "1000", "--batch-size", "4MiB", "--numeric", "text", "--unsupported=text",
			"--snapshot", "00000003-00000002-1", "--exclude", "audit.*", "postgres://app@db1/shop"},
		{"postgres://app@db1/shop", "--tables", "public.orders, public.order_items", "-t", "x*", "--parallel", "4", "--compression=lz4",
			"--chunk-size", "1GB", "--split-by", "ctid", "--batch-rows", "1000", "--batch-size", "4MiB", "--numeric", "text",
			"--unsupported=text", "--snapshot", "00000003-00000002-1", "--exclude", "audit.*"},
		{"--parallel", "4", "--tables", "public.orders,public.order_items,x*", "postgres://app@db1/shop", "--compression", "lz4",
			"--chunk-size=1GB", "--split-by=ctid", "--batch-rows=1000", "--batch-size=4MiB", "--numeric=text", "--unsupported", "text",
			"--snapshot=00000003-00000002-1", "-T", "audit.*"},
	} {
		res := runExtract(t, runOpts{}, args...)
		if res.err != nil {
			t.Fatalf("%q: %v", args, res.err)
		}
		c := res.cfg
		if c.DSN != "postgres://app@db1/shop" || fmt.Sprint(c.Tables) != "[public.orders public.order_items x*]" ||
			fmt.Sprint(c.Exclude) != "[audit.*]" || c.Parallel != 4 || c.ChunkBytes != 1e9 || c.SplitBy != "ctid" ||
			c.BatchRows != 1000 || c.BatchBytes != 4<<20 || c.Snapshot != "00000003-00000002-1" ||
			!c.NumericAsText || !c.UnsupportedAsText || c.Logger == nil {
			t.Errorf("%q: config %+v", args, c)
		}
		if got := readStream(t, []byte(res.stdout)); got != 20 {
			t.Errorf("%q: stream holds %d rows, want 20", args, got)
		}
		if !strings.Contains(res.stderr, "compression=lz4") {
			t.Errorf("%q: compression not lz4: %s", args, res.stderr)
		}
	}
}

func TestDefaults(t *testing.T) {
	res := runExtract(t, runOpts{}, "host=db1 dbname=shop")
	if res.err != nil {
		t.Fatal(res.err)
	}
	c := res.cfg
	if c.Parallel != 2 || c.ChunkBytes != 32<<20 || c.SplitBy != "auto" || c.BatchRows != 65536 || c.BatchBytes != 8<<20 ||
		c.NumericAsText || c.UnsupportedAsText || c.Tables != nil || c.Exclude != nil {
		t.Errorf("defaults: %+v", c)
	}
	for _, want := range []string{"compression=zstd", `msg="extract done" tables=1 chunks=2 rows=20`, "snapshot=00000003-1"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"postgres://h/db", "--bogus"}, "dbextract: flag provided but not defined: -bogus"},
		{[]string{"postgres://h/db", "--compression", "gzip"}, `dbextract: invalid value "gzip" for flag -compression: want none, lz4 or zstd`},
		{[]string{"--split-by", "hash", "postgres://h/db"}, `invalid value "hash" for flag -split-by`},
		{[]string{"--chunk-size", "32XB", "postgres://h/db"}, `invalid value "32XB" for flag -chunk-size`},
		{[]string{"--parallel", "0", "postgres://h/db"}, "--parallel must be at least 1, got 0"},
		{[]string{"--batch-rows", "0", "postgres://h/db"}, "--batch-rows must be at least 1"},
		{[]string{}, "dbextract: missing SOURCE_DSN"},
		{[]string{"postgres://h/a", "postgres://h/b"}, `unexpected argument "postgres://h/b"`},
		{[]string{"oracle://u:secret@h/db"}, `unknown scheme "oracle"`},
		{[]string{"shop"}, `SOURCE_DSN "shop" is not a connection string`},
	} {
		res := runExtract(t, runOpts{}, tc.args...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) || res.called {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, res.code, res.stderr, tc.want)
		}
		if strings.Contains(res.stderr, "secret") {
			t.Errorf("%q: password printed: %s", tc.args, res.stderr)
		}
	}
}

func TestRefusesTerminal(t *testing.T) {
	res := runExtract(t, runOpts{terminal: true}, "postgres://h/db")
	want := "dbextract: refusing to write a binary stream to a terminal; redirect stdout to a file or a pipe\n"
	if res.code != 2 || !strings.HasPrefix(res.stderr, want) || res.called || res.stdout != "" {
		t.Errorf("exit %d, called %v, stderr %q", res.code, res.called, res.stderr)
	}
	if res := runExtract(t, runOpts{terminal: true}, "postgres://h/db", "-o", "-"); res.code != 2 || res.called {
		t.Errorf("-o - to a terminal: exit %d", res.code)
	}
	if res := runExtract(t, runOpts{terminal: true}, "postgres://h/db", "--force"); res.err != nil || res.stdout == "" {
		t.Errorf("--force: %v", res.err)
	}
	out := filepath.Join(t.TempDir(), "shop.arrows")
	if res := runExtract(t, runOpts{terminal: true}, "postgres://h/db", "-o", out); res.err != nil || res.stdout != "" {
		t.Errorf("-o: %v, stdout %q", res.err, res.stdout)
	}
}

func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "shop.arrows")
	res := runExtract(t, runOpts{}, "-o", out, "postgres://h/db")
	if res.err != nil || res.stdout != "" {
		t.Fatalf("%v, stdout %q", res.err, res.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if readStream(t, data) != 20 {
		t.Error("the output file does not hold the stream")
	}
	if !strings.Contains(res.stderr, "output="+out) {
		t.Errorf("summary does not name the file: %s", res.stderr)
	}

	// A failed extraction leaves no file (and the old one in place).
	res = runExtract(t, runOpts{extract: fakeExtract(t, 3, 10, errors.New("table public.t: boom"))}, "-o", out, "postgres://h/db")
	if res.code != 1 || !strings.Contains(res.stderr, "dbextract: table public.t: boom") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory after a failure: %v", ents)
	}
	if now, _ := os.ReadFile(out); !bytes.Equal(now, data) {
		t.Error("a failed run changed the existing output file")
	}
}

func TestFailureWritesNoTrailer(t *testing.T) {
	res := runExtract(t, runOpts{extract: fakeExtract(t, 3, 10, errors.New("boom"))}, "postgres://h/db")
	if res.code != 1 {
		t.Fatalf("exit %d", res.code)
	}
	// What did reach stdout must read as truncated, never as a complete stream.
	r := format.NewReader(bufio.NewReader(strings.NewReader(res.stdout)), format.ReaderOptions{})
	for {
		_, err := r.Next()
		if err == io.EOF {
			t.Fatal("a failed extraction's output reads as a complete stream")
		}
		if err != nil {
			if !strings.Contains(err.Error(), "truncated") {
				t.Errorf("error %v, want truncated", err)
			}
			break
		}
	}
}

func TestDownstreamClosed(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close()
	res := runExtract(t, runOpts{stdout: w, extract: fakeExtract(t, 3, 100000, nil)}, "postgres://h/db")
	if res.code != 141 || !strings.HasSuffix(res.stderr, "\ndbextract: downstream closed the pipe\n") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestErrorsRedacted(t *testing.T) {
	dsn := "postgres://app:hunter22@db1/shop"
	fail := func(ctx context.Context, cfg postgres.Config, w *format.Writer) (postgres.Stats, error) {
		return postgres.Stats{}, fmt.Errorf("cannot parse `%s`: bad (password hunter22)", cfg.DSN)
	}
	res := runExtract(t, runOpts{extract: fail}, dsn)
	if res.code != 1 || strings.Contains(res.stderr, "hunter22") || !strings.Contains(res.stderr, "postgres://app:xxxxx@db1/shop") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
	if res.cfg.DSN != dsn {
		t.Errorf("the extractor got DSN %q", res.cfg.DSN)
	}
}

func TestRunSignature(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"dbextract", "--help"}, &stdout, &stderr)
	if err != nil || !strings.Contains(stdout.String(), "SOURCE_DSN") {
		t.Errorf("run --help: %v", err)
	}
}
