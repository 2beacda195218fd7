package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
)

// TestMain clears the environment variables the flags read.
func TestMain(m *testing.M) {
	for _, f := range newEnv(nil, nil, nil).app().Flags {
		if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
			for _, name := range ev.GetEnvVars() {
				_ = os.Unsetenv(name)
			}
		}
	}
	os.Exit(m.Run())
}

// mysqlStream is a one-table MySQL stream: an int unsigned key and a date.
func mysqlStream(t *testing.T, zero bool) []byte {
	t.Helper()
	mem := memory.NewGoAllocator()
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{StreamID: "0123456789abcdef0123456789abcdef"})
	s, err := w.Begin(format.Header{Table: format.TableID{Engine: "mysql", Database: "shop", Schema: "shop", Name: "Orders"}, PrimaryKey: []string{"Id"}},
		[]format.Column{
			{Name: "Id", Type: arrow.PrimitiveTypes.Uint32, SourceType: "int(10) unsigned", PKOrdinal: 1},
			{Name: "Day", Type: arrow.FixedWidthTypes.Date32, Nullable: true, SourceType: "date"},
		})
	if err != nil {
		t.Fatal(err)
	}
	ib := array.NewUint32Builder(mem)
	ib.AppendValues([]uint32{1, 4294967295}, nil)
	db := array.NewDate32Builder(mem)
	day := arrow.Date32(19000)
	if zero {
		day = -2147483648
	}
	db.AppendValues([]arrow.Date32{0, day}, nil)
	ids, days := ib.NewArray(), db.NewArray()
	rec := array.NewRecordBatch(s.Schema(), []arrow.Array{ids, days}, 2)
	if err := s.Write(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConvertsStdinToStdout(t *testing.T) {
	reportPath := filepath.Join(t.TempDir(), "report.json")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"dbconvert", "--to", "postgres", "--identifiers=snake", "--report-json", reportPath, "--log-level=error"},
		bytes.NewReader(mysqlStream(t, false)), &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	r := format.NewReader(&out, format.ReaderOptions{})
	seg, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	h := seg.Header
	if h.TargetEngine != "postgres" || h.Table.Schema != "shop" || h.Table.Name != "orders" || h.Stream != "0123456789abcdef0123456789abcdef" {
		t.Errorf("header %+v", h)
	}
	if c := seg.Columns[0]; c.Name != "id" || c.TargetType != "bigint" || c.Type.ID() != arrow.INT64 {
		t.Errorf("column %+v", c)
	}
	if _, err := io.Copy(io.Discard, strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := seg.Read(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("want the trailer, got %v", err)
	}
	if !strings.Contains(errb.String(), "table shop.Orders -> shop.orders (2 rows)") {
		t.Errorf("stderr %q", errb.String())
	}
	var rep struct {
		Tables []struct {
			Columns []struct{ Rule string } `json:"columns"`
		} `json:"tables"`
	}
	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Tables) != 1 || rep.Tables[0].Columns[0].Rule != "int unsigned -> bigint" {
		t.Errorf("report %s (%v)", b, err)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		in   []byte
		code int
		msg  string
	}{
		{"no --to", []string{}, nil, 2, "missing --to"},
		{"bad --to", []string{"--to", "oracle"}, nil, 2, "want postgres or mysql"},
		{"bad zero-dates", []string{"--to", "postgres", "--zero-dates", "maybe"}, nil, 2, "want error, null or epoch"},
		{"zero date", []string{"--to", "postgres"}, mysqlStream(t, true), 1,
			"table shop.Orders, column Day, key (Id)=(4294967295): MySQL zero date 0000-00-00 has no PostgreSQL value (--zero-dates=null or --zero-dates=epoch converts it)"},
		{"empty input", []string{"--to", "postgres"}, []byte{}, 1, "empty input"},
		{"already postgres", []string{"--to", "mysql"}, mysqlStream(t, false), 1, "the stream is already mysql"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"dbconvert", "--log-level=error"}, tc.args...), bytes.NewReader(tc.in), &out, &errb)
			if code := command.ExitCode(err); code != tc.code || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("exit %d, error %v; want %d, %q", code, err, tc.code, tc.msg)
			}
			var ue *command.UsageError
			if tc.code == 2 && !errors.As(err, &ue) {
				t.Errorf("not a usage error: %v", err)
			}
		})
	}
}
