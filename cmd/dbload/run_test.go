package main

import (
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
	"github.com/dbmig/dbmig/writers/postgres"
)

// writeStream returns a complete stream of segments rows-long segments.
func writeStream(t *testing.T, segments, rows int) []byte {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out bytes.Buffer
	w := format.NewWriter(&out, format.WriterOptions{Allocator: mem})
	for i := range segments {
		h := format.Header{
			Table: format.TableID{Engine: "postgres", Database: "shop", Schema: "public", Name: "t"},
			Chunk: format.Chunk{ID: fmt.Sprintf("pk:%d", i), Index: i, Count: segments},
		}
		s, err := w.Begin(h, []format.Column{{Name: "id", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint"}})
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewInt64Builder(mem)
		for j := range rows {
			b.Append(int64(i*rows + j))
		}
		col := b.NewArray()
		rec := array.NewRecordBatch(s.Schema(), []arrow.Array{col}, int64(rows))
		if err := s.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		col.Release()
		b.Release()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// drainLoad stands in for postgres.Load: it reads and verifies the whole
// stream, as Load does, and reports each segment as a chunk.
func drainLoad(ctx context.Context, cfg postgres.Config, r *format.Reader) (postgres.Stats, error) {
	var st postgres.Stats
	for {
		seg, err := r.Next()
		if err == io.EOF {
			st.Tables = 1
			return st, nil
		}
		if err != nil {
			return st, err
		}
		for {
			rec, err := seg.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return st, fmt.Errorf("load %s: %w", seg.Header.Table, err)
			}
			st.Rows += rec.NumRows()
		}
		st.Chunks++
		if cfg.OnChunk != nil {
			cfg.OnChunk(postgres.ChunkDone{Table: seg.Header.Table.String(), Chunk: seg.Header.Chunk.ID, Rows: seg.Rows(), Bytes: 80})
		}
	}
}

type result struct {
	err            error
	code           int
	stdout, stderr string
	cfg            postgres.Config
	called         bool
}

type runOpts struct {
	stdin    io.Reader
	terminal bool
	load     func(context.Context, postgres.Config, *format.Reader) (postgres.Stats, error)
}

func runLoad(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	var res result
	var stdout, stderr bytes.Buffer
	if o.stdin == nil {
		o.stdin = bytes.NewReader(writeStream(t, 2, 10))
	}
	if o.load == nil {
		o.load = drainLoad
	}
	e := newEnv(o.stdin, &stdout, &stderr)
	e.isTerminal = func(any) bool { return o.terminal }
	e.load = func(ctx context.Context, cfg postgres.Config, r *format.Reader) (postgres.Stats, error) {
		res.cfg, res.called = cfg, true
		return o.load(ctx, cfg, r)
	}
	res.err = command.Run(t.Context(), e.app(), append([]string{"dbload"}, args...))
	command.Report(&stderr, "dbload", res.err)
	res.code = command.ExitCode(res.err)
	res.stdout, res.stderr = stdout.String(), stderr.String()
	return res
}

func TestHelp(t *testing.T) {
	res := runLoad(t, runOpts{}, "--help")
	if res.code != 0 || res.called {
		t.Fatalf("--help: exit %d, stderr %q", res.code, res.stderr)
	}
	for _, want := range []string{
		"Usage: dbload [flags] TARGET_DSN < stream",
		"dbextract --tables 'public.orders,public.order_items' --parallel 4 postgres://app@db1/shop | dbload --create postgres://app@db2/shop",
		"dbextract postgres://app@db1/shop --compression lz4 | dbload postgres://app@db2/shop --create",
		"dbload --create postgres://app@db2/shop < shop.arrows",
		"--create", "--analyze", "--maintenance-work-mem", "--max-message-size SIZE", "(default: 1088MiB)", "--input FILE, -i FILE",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestFlagsBeforeAndAfterDSN(t *testing.T) {
	for _, tc := range []struct {
		args            []string
		create, analyze bool
		parallel        int
		maintenanceWork string
	}{
		{[]string{"--create", "postgres://app@db2/shop"}, true, true, 2, ""},
		{[]string{"postgres://app@db2/shop", "--create"}, true, true, 2, ""},
		{[]string{"postgres://app@db2/shop", "--create", "--analyze=false", "-j", "4"}, true, false, 4, ""},
		{[]string{"--parallel=3", "postgres://app@db2/shop", "--maintenance-work-mem", "1GB"}, false, false, 3, "1GB"},
		{[]string{"postgres://app@db2/shop", "--analyze"}, false, true, 2, ""},
	} {
		res := runLoad(t, runOpts{}, tc.args...)
		if res.err != nil {
			t.Fatalf("%q: %v", tc.args, res.err)
		}
		c := res.cfg
		if c.DSN != "postgres://app@db2/shop" || c.Create != tc.create || c.Analyze != tc.analyze || c.Parallel != tc.parallel ||
			c.MaintenanceWorkMem != tc.maintenanceWork || c.Logger == nil || c.OnChunk == nil {
			t.Errorf("%q: config %+v", tc.args, c)
		}
		if !strings.Contains(res.stderr, `msg="load done" tables=1 chunks=2 skipped=0 rows=20`) {
			t.Errorf("%q: summary missing:\n%s", tc.args, res.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"postgres://h/db", "--bogus"}, "dbload: flag provided but not defined: -bogus"},
		{[]string{"postgres://h/db", "--parallel", "x"}, `invalid value "x" for flag -parallel`},
		{[]string{"postgres://h/db", "--parallel", "0"}, "--parallel must be at least 1, got 0"},
		{[]string{"postgres://h/db", "--max-message-size", "lots"}, `invalid value "lots" for flag -max-message-size`},
		{[]string{"--create"}, "dbload: missing TARGET_DSN"},
		{[]string{"ftp://h/db"}, `unknown scheme "ftp"`},
	} {
		res := runLoad(t, runOpts{}, tc.args...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) || res.called {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

func TestRefusesTerminalStdin(t *testing.T) {
	res := runLoad(t, runOpts{terminal: true}, "postgres://h/db")
	if res.code != 2 || !strings.HasPrefix(res.stderr, "dbload: no input: pipe a stream into dbload or give --input FILE\n") || res.called {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
	path := filepath.Join(t.TempDir(), "s.arrows")
	if err := os.WriteFile(path, writeStream(t, 1, 5), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runLoad(t, runOpts{terminal: true}, "postgres://h/db", "-i", path); res.err != nil {
		t.Errorf("-i FILE with a terminal stdin: %v", res.err)
	}
}

func TestEmptyInput(t *testing.T) {
	res := runLoad(t, runOpts{stdin: strings.NewReader("")}, "--create", "postgres://h/db")
	want := "dbload: stream segment 0 at byte offset 0: empty input: no stream (did the upstream command fail?)\n"
	if res.code != 1 || res.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", res.code, res.stderr, want)
	}
	if res.called {
		t.Error("the target was loaded from an empty input")
	}
}

func TestTruncatedStream(t *testing.T) {
	full := writeStream(t, 3, 1000)
	dir := t.TempDir()
	for _, cut := range []int{len(full) / 2, len(full) - 1, 7} {
		path := filepath.Join(dir, fmt.Sprintf("cut%d.arrows", cut))
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		res := runLoad(t, runOpts{}, "postgres://h/db", "--input", path)
		// (A cut inside a schema message says "unexpected EOF", elsewhere
		// "truncated"; both name the offset.)
		if res.code != 1 || !strings.Contains(res.stderr, "byte offset") || strings.Count(res.stderr, "dbload:") != 1 ||
			!strings.Contains(res.stderr, "truncated") && !strings.Contains(res.stderr, "unexpected EOF") {
			t.Errorf("cut at %d of %d: exit %d, stderr %q", cut, len(full), res.code, res.stderr)
		}
		var se *format.StreamError
		if !errors.As(res.err, &se) {
			t.Errorf("cut at %d: error %v is not a *format.StreamError", cut, res.err)
		}
	}
}

func TestStreamFromFileAndStdin(t *testing.T) {
	data := writeStream(t, 4, 250)
	path := filepath.Join(t.TempDir(), "s.arrows")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		opts runOpts
		args []string
	}{
		{runOpts{stdin: bytes.NewReader(data)}, []string{"postgres://h/db"}},
		{runOpts{}, []string{"postgres://h/db", "-i", path}},
		{runOpts{stdin: bytes.NewReader(data)}, []string{"postgres://h/db", "--input", "-"}},
	} {
		res := runLoad(t, o.opts, o.args...)
		if res.err != nil || !strings.Contains(res.stderr, "rows=1000") || res.stdout != "" {
			t.Errorf("%q: %v\n%s", o.args, res.err, res.stderr)
		}
	}
}

func TestMaxMessageSize(t *testing.T) {
	data := writeStream(t, 1, 100000)
	res := runLoad(t, runOpts{stdin: bytes.NewReader(data)}, "postgres://h/db", "--max-message-size", "64KiB")
	if res.code != 1 || !strings.Contains(res.stderr, "byte offset") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestErrorsRedacted(t *testing.T) {
	dsn := "host=db2 user=app password=hunter22 dbname=shop"
	fail := func(ctx context.Context, cfg postgres.Config, r *format.Reader) (postgres.Stats, error) {
		return postgres.Stats{}, fmt.Errorf("cannot parse `%s`: boom", cfg.DSN)
	}
	res := runLoad(t, runOpts{load: fail}, dsn)
	if res.code != 1 || strings.Contains(res.stderr, "hunter22") || !strings.Contains(res.stderr, "password=xxxxx") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestRunSignature(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"dbload", "--help"}, strings.NewReader(""), &stdout, &stderr)
	if err != nil || !strings.Contains(stdout.String(), "TARGET_DSN") {
		t.Errorf("run --help: %v", err)
	}
}
