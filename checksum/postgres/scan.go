package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum"
	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/internal/pgcodec"
)

// rangesPerQuery bounds the ranges OR-ed into one query (each takes up to
// two parameters per key column).
const rangesPerQuery = 200

func (s *Side) info(t *compare.Table) (*table, error) {
	ti := s.tables[t]
	if ti == nil {
		return nil, fmt.Errorf("table %s is not from this side", t.ID)
	}
	return ti, nil
}

// Scan reads the rows of t in ranges (all rows when ranges is nil): the
// whole table with one binary COPY, key ranges with queries whose bounds
// are parameters.
func (s *Side) Scan(ctx context.Context, t *compare.Table, ranges []compare.Range, fn func(arrow.RecordBatch) error) error {
	ti, err := s.info(t)
	if err != nil {
		return err
	}
	if ranges == nil {
		return s.copyAll(ctx, ti, fn)
	}
	for start := 0; start < len(ranges); start += rangesPerQuery {
		var args []string
		pred := ti.rangesPred(ranges[start:min(start+rangesPerQuery, len(ranges))], &args)
		q := fmt.Sprintf("SELECT %s FROM %s WHERE (%s)%s", strings.Join(ti.selects, ", "), ti.name, pred, s.where())
		if err := s.query(ctx, q, args, t.Schema, ti.types, fn); err != nil {
			return fmt.Errorf("scan %s: %w", t.ID, err)
		}
	}
	return nil
}

func (s *Side) where() string {
	if s.cfg.Where == "" {
		return ""
	}
	return " AND (" + s.cfg.Where + ")"
}

// copyAll reads the whole table with one binary COPY: the cheapest read a
// server has.
func (s *Side) copyAll(ctx context.Context, ti *table, fn func(arrow.RecordBatch) error) error {
	var q string
	if s.cfg.Where == "" && !ti.partitioned {
		cols := make([]string, len(ti.t.Columns))
		for i, c := range ti.t.Columns {
			cols[i] = quoteIdent(c.Name)
		}
		q = fmt.Sprintf("COPY %s (%s) TO STDOUT (FORMAT binary)", ti.name, strings.Join(cols, ", "))
		if strings.Join(cols, ", ") != strings.Join(ti.selects, ", ") {
			q = "" // a text-cast column: select it
		}
	}
	if q == "" {
		q = fmt.Sprintf("COPY (SELECT %s FROM %s WHERE true%s) TO STDOUT (FORMAT binary)", strings.Join(ti.selects, ", "), ti.name, s.where())
	}
	dec, err := s.decoder(ti.t.Schema, ti.types, fn)
	if err != nil {
		return err
	}
	_, err = s.conn.PgConn().CopyTo(ctx, dec, q)
	if cerr := dec.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("scan %s: %w", ti.t.ID, err)
	}
	return nil
}

func (s *Side) decoder(schema *arrow.Schema, types []pgcodec.Type, fn func(arrow.RecordBatch) error) (*pgcodec.Decoder, error) {
	dec, err := pgcodec.NewDecoder(s.mem, schema, types, codecOptions, func(rec arrow.RecordBatch) error {
		defer rec.Release()
		return fn(rec)
	})
	if err != nil {
		return nil, err
	}
	// Open accepts only UTF8 databases, whose text the server has checked.
	dec.TrustUTF8 = true
	return dec, nil
}

// query runs q with text parameters, reads its rows in binary and decodes
// them as a binary COPY: the binary result of a value is the bytes COPY
// sends for it, so the one decoder serves both.
func (s *Side) query(ctx context.Context, q string, args []string, schema *arrow.Schema, types []pgcodec.Type, fn func(arrow.RecordBatch) error) error {
	dec, err := s.decoder(schema, types, fn)
	if err != nil {
		return err
	}
	params := make([][]byte, len(args))
	oids := make([]uint32, len(args))
	for i, a := range args {
		params[i], oids[i] = []byte(a), 25 // text
	}
	formats := make([]int16, len(types))
	for i := range formats {
		formats[i] = 1 // binary
	}
	rr := s.conn.PgConn().ExecParams(ctx, q, params, oids, nil, formats)
	buf := append(make([]byte, 0, 64<<10), "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"...)
	var werr error
	for rr.NextRow() && werr == nil {
		vals := rr.Values()
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(vals)))
		for _, v := range vals {
			if v == nil {
				buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
				continue
			}
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(v)))
			buf = append(buf, v...)
		}
		if len(buf) >= 64<<10 {
			_, werr = dec.Write(buf)
			buf = buf[:0]
		}
	}
	_, err = rr.Close()
	if err == nil {
		err = werr
	}
	if err == nil {
		_, err = dec.Write(binary.BigEndian.AppendUint16(buf, 0xffff))
	}
	if cerr := dec.Close(); err == nil {
		err = cerr
	}
	return err
}

// SampleKeys reads about n keys of t spread over r: for the whole of a
// large table a TABLESAMPLE of a few blocks, else every key in r.
func (s *Side) SampleKeys(ctx context.Context, t *compare.Table, r compare.Range, n int, fn func(arrow.RecordBatch) error) error {
	ti, err := s.info(t)
	if err != nil {
		return err
	}
	fields := make([]arrow.Field, len(t.PrimaryKey))
	sel := make([]string, len(t.PrimaryKey))
	for i, name := range t.PrimaryKey {
		j := t.Index(name)
		fields[i] = t.Schema.Field(j)
		sel[i] = ti.selects[j]
	}
	var args []string
	from, pred := ti.name, "true"
	if r.Lo == nil && r.Hi == nil && !r.Point {
		if t.EstRows > int64(4*n) {
			// SYSTEM sampling reads whole blocks: a few percent of the
			// table at most, however large it is.
			pct := 100 * 4 * float64(n) / float64(t.EstRows)
			args = append(args, strconv.FormatFloat(pct, 'f', 6, 64))
			from += " TABLESAMPLE SYSTEM ($1::text::real)"
		}
	} else {
		pred = ti.rangesPred([]compare.Range{r}, &args)
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE (%s)%s", strings.Join(sel, ", "), from, pred, s.where())
	if err := s.query(ctx, q, args, arrow.NewSchema(fields, nil), ti.keyTypes, fn); err != nil {
		return fmt.Errorf("sample keys of %s: %w", t.ID, err)
	}
	return nil
}

// Digests computes the digests of the ranges of parent cut at bounds in
// the server: per row hash_record_extended of the compared columns (each
// type's own hash function, which compares by value), per range count,
// sum and xor of the hashes. Only the digests cross the wire.
func (s *Side) Digests(ctx context.Context, t *compare.Table, columns []string, parent compare.Range, bounds []compare.Key) ([]checksum.Digest, error) {
	ti, err := s.info(t)
	if err != nil {
		return nil, err
	}
	hashes := make([]string, len(columns))
	for i, name := range columns {
		j := t.Index(name)
		if j < 0 {
			return nil, fmt.Errorf("table %s has no column %s", t.ID, name)
		}
		hashes[i] = ti.hashes[j]
	}
	var args []string
	pred := "true"
	if parent.Lo != nil || parent.Hi != nil {
		pred = ti.rangesPred([]compare.Range{parent}, &args)
	}
	bucketExpr := "0"
	if len(bounds) > 0 {
		bucketExpr = ti.bucketTree(bounds, 0, len(bounds), &args)
	}
	q := fmt.Sprintf(`SELECT b, count(*), coalesce(sum(h), 0)::text, coalesce(bit_xor(h), 0)
FROM (SELECT %s AS b, hash_record_extended(ROW(%s), 0) AS h FROM %s WHERE (%s)%s) s GROUP BY b`,
		bucketExpr, strings.Join(hashes, ", "), ti.name, pred, s.where())
	rows, err := s.conn.Query(ctx, q, anys(args)...)
	if err != nil {
		return nil, fmt.Errorf("digests of %s: %w", t.ID, err)
	}
	defer rows.Close()
	out := make([]checksum.Digest, len(bounds)+1)
	for rows.Next() {
		var b int
		var n, xor int64
		var sum string
		if err := rows.Scan(&b, &n, &sum, &xor); err != nil {
			return nil, fmt.Errorf("digests of %s: %w", t.ID, err)
		}
		if b < 0 || b >= len(out) {
			return nil, fmt.Errorf("digests of %s: range %d out of %d", t.ID, b, len(out))
		}
		d := &out[b]
		d.Rows = n
		d.Xor.Lo = uint64(xor)
		v, ok := new(big.Int).SetString(sum, 10)
		if !ok {
			return nil, fmt.Errorf("digests of %s: sum %q", t.ID, sum)
		}
		// The sum of up to 2^63 signed 64-bit hashes fits 128 bits; keep
		// its two's complement.
		v.And(v, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)))
		d.Sum.Lo = v.Uint64()
		d.Sum.Hi = new(big.Int).Rsh(v, 64).Uint64()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digests of %s: %w", t.ID, err)
	}
	return out, nil
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// bucketTree is an expression giving the index of the range (of those cut
// at bounds[lo:hi], numbered from lo) that holds a row's key: a binary
// search written as nested CASEs, log2(len(bounds)) key comparisons per
// row. (width_bucket takes arrays of one type only: no composite keys.)
func (ti *table) bucketTree(bounds []compare.Key, lo, hi int, args *[]string) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	mid := (lo + hi) / 2
	return fmt.Sprintf("CASE WHEN %s < %s THEN %s ELSE %s END",
		ti.keyRow(), ti.boundRow(&bounds[mid], args),
		ti.bucketTree(bounds, lo, mid, args), ti.bucketTree(bounds, mid+1, hi, args))
}

// rangesPred is an SQL condition true for rows whose key is in one of
// ranges; the bounds become parameters (appended to args).
func (ti *table) rangesPred(ranges []compare.Range, args *[]string) string {
	return compare.RangesSQL(ranges, ti.keyRow(), func(k *compare.Key) string { return ti.boundRow(k, args) })
}

func (ti *table) keyRow() string {
	if len(ti.keyOrder) == 1 {
		return ti.keyOrder[0]
	}
	return "ROW(" + strings.Join(ti.keyOrder, ", ") + ")"
}

func (ti *table) boundRow(k *compare.Key, args *[]string) string {
	ps := make([]string, len(k.Texts))
	for i, v := range k.Texts {
		*args = append(*args, v)
		ps[i] = fmt.Sprintf(ti.keyParam[i], len(*args))
	}
	if len(ps) == 1 {
		return ps[0]
	}
	return "ROW(" + strings.Join(ps, ", ") + ")"
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
