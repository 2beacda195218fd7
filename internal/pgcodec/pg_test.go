package pgcodec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbmig/dbmig/internal/testdb"
)

// Test scaffolding for a real PostgreSQL server: internal/testdb gives each
// test its own database (TEST_PG_DSN's server or a throwaway one), and skips
// the test when no server can be had unless DBMIG_REQUIRE_SERVERS=1.

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// scratchDB returns a connection, with TimeZone UTC, to a fresh database
// that is dropped when the test ends.
func scratchDB(t testing.TB) *pgconn.PgConn {
	t.Helper()
	return connectTo(t, scratchConfig(t))
}

// scratchConfig creates a fresh database and returns its connection config.
func scratchConfig(t testing.TB) *pgconn.Config {
	t.Helper()
	db := testdb.Postgres(t)
	cfg, err := pgconn.ParseConfig(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["TimeZone"] = "UTC"
	cfg.RuntimeParams["extra_float_digits"] = "3"
	return cfg
}

// connectTo opens a connection, closed when the test ends. A failed
// CopyTo (our Write returning an error) closes the connection: pgconn
// cannot resynchronize a COPY it stopped reading.
func connectTo(t testing.TB, cfg *pgconn.Config) *pgconn.PgConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t testing.TB, conn *pgconn.PgConn, sql string) {
	t.Helper()
	if _, err := conn.Exec(testCtx(t), sql).ReadAll(); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
}

// query runs sql with text parameters and returns its rows as text.
func query(t testing.TB, conn *pgconn.PgConn, sql string, args ...string) [][]string {
	t.Helper()
	params := make([][]byte, len(args))
	for i, a := range args {
		params[i] = []byte(a)
	}
	res := conn.ExecParams(testCtx(t), sql, params, nil, nil, nil).Read()
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, sql)
	}
	out := make([][]string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = make([]string, len(r))
		for j, v := range r {
			if v == nil {
				out[i][j] = "<NULL>"
			} else {
				out[i][j] = string(v)
			}
		}
	}
	return out
}

// tableTypes reads the columns of table from the catalog, as the PostgreSQL
// reader and writer do: domains resolved, arrays with their element.
func tableTypes(t testing.TB, conn *pgconn.PgConn, table string) ([]string, []Type) {
	t.Helper()
	rows := query(t, conn, `SELECT attname, atttypid, atttypmod FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, table)
	var names []string
	var types []Type
	for _, r := range rows {
		oid, _ := strconv.ParseUint(r[1], 10, 32)
		mod, _ := strconv.ParseInt(r[2], 10, 32)
		names = append(names, r[0])
		types = append(types, resolveType(t, conn, uint32(oid), int32(mod)))
	}
	return names, types
}

func resolveType(t testing.TB, conn *pgconn.PgConn, oid uint32, typmod int32) Type {
	t.Helper()
	r := query(t, conn, `SELECT typname, typtype, typbasetype, typtypmod, typelem, typcategory
		FROM pg_type WHERE oid = $1`, strconv.FormatUint(uint64(oid), 10))[0]
	base, _ := strconv.ParseUint(r[2], 10, 32)
	basemod, _ := strconv.ParseInt(r[3], 10, 32)
	elem, _ := strconv.ParseUint(r[4], 10, 32)
	switch {
	case r[1] == "d":
		return resolveType(t, conn, uint32(base), int32(basemod))
	case r[1] == "e":
		return Type{OID: oid, Name: r[0], Typmod: -1, Enum: true}
	case r[5] == "A" && elem != 0:
		e := resolveType(t, conn, uint32(elem), typmod) // an array column's typmod is its element's
		return Type{OID: oid, Name: r[0], Typmod: typmod, Elem: &e, ElemOID: uint32(elem)}
	}
	return Type{OID: oid, Name: r[0], Typmod: typmod}
}

// schemaFor builds the Arrow schema the reader would: ArrowType per column,
// with the logical type in the field metadata.
func schemaFor(t testing.TB, names []string, types []Type, o Options) *arrow.Schema {
	t.Helper()
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		dt, logical, err := ArrowType(types[i], o)
		if err != nil {
			t.Fatalf("column %s: %v", n, err)
		}
		f := arrow.Field{Name: n, Type: dt, Nullable: true}
		if logical != "" {
			f.Metadata = arrow.NewMetadata([]string{metaLogical}, []string{logical})
		}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}

// copyOut runs a binary COPY TO of sql's rows into a Decoder and returns the
// batches and the raw COPY bytes.
func copyOut(t testing.TB, conn *pgconn.PgConn, mem memory.Allocator, sql string, schema *arrow.Schema, types []Type, o Options, maxRows int) ([]arrow.RecordBatch, []byte, error) {
	t.Helper()
	var batches []arrow.RecordBatch
	dec, err := NewDecoder(mem, schema, types, o, func(b arrow.RecordBatch) error {
		batches = append(batches, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if maxRows > 0 {
		dec.MaxRows = maxRows
	}
	dec.Keys = []int{0}
	var raw bytes.Buffer
	_, err = conn.CopyTo(testCtx(t), io.MultiWriter(dec, &raw), "COPY ("+sql+") TO STDOUT (FORMAT binary)")
	if cerr := dec.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		releaseAll(batches)
		return nil, raw.Bytes(), err
	}
	return batches, raw.Bytes(), nil
}

// copyIn loads batches (which it releases) into table through an Encoder and
// returns the COPY bytes it sent.
func copyIn(t testing.TB, conn *pgconn.PgConn, table string, schema *arrow.Schema, targets []Type, batches []arrow.RecordBatch) ([]byte, error) {
	t.Helper()
	enc, err := NewEncoder(schema, targets)
	if err != nil {
		releaseAll(batches)
		return nil, err
	}
	enc.Keys = []int{0}
	r := enc.Reader(sliceSource(batches))
	defer r.Close()
	var sent bytes.Buffer
	_, err = conn.CopyFrom(testCtx(t), io.TeeReader(r, &sent), "COPY "+table+" FROM STDIN (FORMAT binary)")
	return sent.Bytes(), err
}

// sliceSource returns a next function over batches; the reader releases what
// it takes, and what it never takes is released here when next runs dry.
func sliceSource(batches []arrow.RecordBatch) func() (arrow.RecordBatch, error) {
	i := 0
	return func() (arrow.RecordBatch, error) {
		if i == len(batches) {
			return nil, io.EOF
		}
		i++
		return batches[i-1], nil
	}
}

func releaseAll(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}

// diffTables reports, column by column, the rows where two tables differ as
// text; it is how a failed checksum becomes a readable message.
func diffTables(t testing.TB, conn *pgconn.PgConn, a, b string, names []string) {
	t.Helper()
	for _, n := range names[1:] {
		q := fmt.Sprintf(`SELECT x.%[1]s, x.%[2]s::text, y.%[2]s::text FROM %[3]s x FULL JOIN %[4]s y USING (%[1]s)
			WHERE x.%[2]s::text IS DISTINCT FROM y.%[2]s::text ORDER BY 1`, names[0], n, a, b)
		for _, r := range query(t, conn, q) {
			t.Errorf("column %s, %s=%s: source %.200q, loaded %.200q", n, names[0], r[0], r[1], r[2])
		}
	}
}

func tableDigest(t testing.TB, conn *pgconn.PgConn, table, pk string) string {
	t.Helper()
	return query(t, conn, fmt.Sprintf(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY %s)), '') FROM %s t`, pk, table))[0][0]
}

// firstDiff returns the offset of the first differing byte, or -1.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func asValueError(t testing.TB, err error) *ValueError {
	t.Helper()
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValueError", err, err)
	}
	return ve
}
