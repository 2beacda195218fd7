package mysql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	driver "github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// segment is one segment read back: its header, columns and rows as the
// MySQL text of each value ("" + null flag for NULL).
type segment struct {
	header format.Header
	cols   []format.Column
	rows   [][]cell
}

// bigValue is the size above which binary values are compared by digest.
const bigValue = 1 << 20

type cell struct {
	text string
	null bool
}

// extract runs Extract into memory with a checked allocator and reads the
// stream back.
func extract(t *testing.T, cfg Config) ([]segment, Stats) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg.Allocator = mem
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{Compression: format.CompressionLZ4})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := Extract(ctx, cfg, w)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return readSegments(t, buf.Bytes()), st
}

func readSegments(t *testing.T, data []byte) []segment {
	t.Helper()
	r := format.NewReader(bytes.NewReader(data), format.ReaderOptions{})
	var out []segment
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		s := segment{header: seg.Header, cols: seg.Columns}
		for {
			rec, err := seg.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range int(rec.NumRows()) {
				row := make([]cell, rec.NumCols())
				for j, col := range rec.Columns() {
					row[j] = mysqlText(t, s.cols[j], col, i)
				}
				s.rows = append(s.rows, row)
			}
		}
		out = append(out, s)
	}
}

// mysqlText formats an Arrow value as the MySQL text protocol shows it
// (the forms of serverRows): the inverse of the reader's parsers.
func mysqlText(t *testing.T, c format.Column, a arrow.Array, i int) cell {
	if a.IsNull(i) {
		return cell{null: true}
	}
	fsp := func() int {
		if o := strings.IndexByte(c.SourceType, '('); o >= 0 {
			n, _ := strconv.Atoi(strings.TrimSuffix(c.SourceType[o+1:], ")"))
			return n
		}
		return 0
	}
	frac := func(us int64, n int) string {
		if n == 0 {
			return ""
		}
		return "." + fmt.Sprintf("%06d", us)[:n]
	}
	switch v := a.(type) {
	case *array.Date32:
		d := v.Value(i)
		if d == ZeroDate {
			return cell{text: "0000-00-00"}
		}
		return cell{text: d.ToTime().Format("2006-01-02")}
	case *array.Timestamp:
		us := int64(v.Value(i))
		if us == ZeroDateTime {
			return cell{text: "0000-00-00 00:00:00" + frac(0, fsp())}
		}
		tm := time.UnixMicro(us).UTC()
		return cell{text: tm.Format("2006-01-02 15:04:05") + frac(int64(tm.Nanosecond()/1000), fsp())}
	case *array.Duration:
		us := int64(v.Value(i))
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		s := us / 1e6
		return cell{text: fmt.Sprintf("%s%02d:%02d:%02d%s", sign, s/3600, s/60%60, s%60, frac(us%1e6, fsp()))}
	case *array.Decimal128:
		typ := v.DataType().(*arrow.Decimal128Type)
		return cell{text: v.Value(i).ToString(typ.Scale)}
	case *array.Float32:
		return cell{text: strconv.FormatFloat(float64(v.Value(i)), 'g', -1, 64)}
	case *array.Float64:
		return cell{text: strconv.FormatFloat(v.Value(i), 'g', -1, 64)}
	case *array.Binary:
		if b := v.Value(i); len(b) > bigValue {
			sum := sha256.Sum256(b)
			return cell{text: "sha256:" + hex.EncodeToString(sum[:])}
		}
		return cell{text: strings.ToUpper(hex.EncodeToString(v.Value(i)))}
	case *array.String:
		return cell{text: v.Value(i)}
	case *array.Int8:
		return cell{text: strconv.FormatInt(int64(v.Value(i)), 10)}
	case *array.Int16:
		return cell{text: strconv.FormatInt(int64(v.Value(i)), 10)}
	case *array.Int32:
		return cell{text: strconv.FormatInt(int64(v.Value(i)), 10)}
	case *array.Int64:
		return cell{text: strconv.FormatInt(v.Value(i), 10)}
	case *array.Uint8:
		return cell{text: strconv.FormatUint(uint64(v.Value(i)), 10)}
	case *array.Uint16:
		return cell{text: strconv.FormatUint(uint64(v.Value(i)), 10)}
	case *array.Uint32:
		return cell{text: strconv.FormatUint(uint64(v.Value(i)), 10)}
	case *array.Uint64:
		return cell{text: strconv.FormatUint(v.Value(i), 10)}
	}
	t.Fatalf("column %s: no text form for %s", c.Name, a.DataType())
	return cell{}
}

// serverRows reads a table with the text protocol in the forms mysqlText
// produces: FLOAT widened to DOUBLE, BIT as its number, binary as hex.
func serverRows(t *testing.T, db *testdb.MySQLDB, table string, cols []format.Column, orderBy string) [][]cell {
	t.Helper()
	sel := make([]string, len(cols))
	for i, c := range cols {
		q := quoteIdent(c.Name)
		switch {
		case strings.HasPrefix(c.SourceType, "float"):
			sel[i] = "CAST(" + q + " AS DOUBLE)"
		case strings.HasPrefix(c.SourceType, "bit"):
			sel[i] = "CAST(" + q + " AS UNSIGNED)"
		case c.Logical == "year":
			sel[i] = "CAST(" + q + " AS UNSIGNED)"
		case c.Type.ID() == arrow.BINARY:
			// HEX of a value over max_allowed_packet/2 is NULL: compare digests.
			sel[i] = fmt.Sprintf("IF(LENGTH(%s) > %d, CONCAT('sha256:', SHA2(%s, 256)), HEX(%s))", q, bigValue, q, q)
		default:
			sel[i] = q
		}
	}
	conn := rawConn(t, db)
	rows, err := conn.QueryContext(context.Background(), "SELECT "+strings.Join(sel, ", ")+" FROM "+quoteIdent(table)+" ORDER BY "+orderBy)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]cell
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]cell, len(cols))
		for i, v := range vals {
			row[i] = cell{text: v.String, null: !v.Valid}
			if v.Valid && (cols[i].Type.ID() == arrow.FLOAT32 || cols[i].Type.ID() == arrow.FLOAT64) {
				f, err := strconv.ParseFloat(v.String, 64)
				if err != nil {
					t.Fatal(err)
				}
				row[i].text = strconv.FormatFloat(f, 'g', -1, 64)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rawConn opens one connection to the test database in the reader's session
// settings (UTC, no sql_mode).
func rawConn(t *testing.T, db *testdb.MySQLDB) *sql.Conn {
	t.Helper()
	cfg, err := driver.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"time_zone": "'+00:00'", "sql_mode": "''"}
	c, err := driver.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sql.OpenDB(c)
	t.Cleanup(func() { pool.Close() })
	conn, err := pool.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// tableSegments returns the data segments of one table, in chunk order.
func tableSegments(segs []segment, table string) []segment {
	var out []segment
	for _, s := range segs {
		if s.header.Kind == format.KindSnapshot && s.header.Table.Name == table {
			out = append(out, s)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].header.Chunk.Index < out[j-1].header.Chunk.Index; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func column(t *testing.T, cols []format.Column, name string) format.Column {
	t.Helper()
	for _, c := range cols {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no column %s", name)
	return format.Column{}
}

// extractErr runs Extract and returns its error.
func extractErr(t *testing.T, cfg Config) (Stats, error) {
	t.Helper()
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{Compression: format.CompressionNone})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return Extract(ctx, cfg, w)
}

// short cuts a cell's text for a message.
func (c cell) String() string {
	if c.null {
		return "NULL"
	}
	if len(c.text) > 80 {
		return fmt.Sprintf("%q... (%d bytes)", c.text[:80], len(c.text))
	}
	return fmt.Sprintf("%q", c.text)
}
