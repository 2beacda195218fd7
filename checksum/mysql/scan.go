package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum"
	"github.com/dbmig/dbmig/checksum/compare"
	rmysql "github.com/dbmig/dbmig/readers/mysql"
)

// rangesPerQuery bounds the ranges OR-ed into one query.
const rangesPerQuery = 200

func (s *Side) info(t *compare.Table) (*table, error) {
	ti := s.tables[t]
	if ti == nil {
		return nil, fmt.Errorf("table %s is not from this side", t.ID)
	}
	return ti, nil
}

// Scan reads the rows of t in ranges (all rows when ranges is nil), with
// one streaming SELECT per group of ranges whose bounds are parameters. A
// table whose key SQL cannot order canonically (a float) is read whole:
// the caller filters.
func (s *Side) Scan(ctx context.Context, t *compare.Table, ranges []compare.Range, fn func(arrow.RecordBatch) error) error {
	ti, err := s.info(t)
	if err != nil {
		return err
	}
	if ranges == nil || !ti.keySQL {
		if err := s.conn.Select(ctx, ti.st, nil, s.where(""), nil, fn); err != nil {
			return fmt.Errorf("scan %s: %w", t.ID, err)
		}
		return nil
	}
	for start := 0; start < len(ranges); start += rangesPerQuery {
		var params []string
		pred := ti.rangesPred(ranges[start:min(start+rangesPerQuery, len(ranges))], userVar(&params))
		if err := s.conn.Select(ctx, ti.st, nil, s.where(pred), params, fn); err != nil {
			return fmt.Errorf("scan %s: %w", t.ID, err)
		}
	}
	return nil
}

// where combines pred with Config.Where.
func (s *Side) where(pred string) string {
	switch {
	case s.cfg.Where == "":
		return pred
	case pred == "":
		return "(" + s.cfg.Where + ")"
	}
	return "(" + pred + ") AND (" + s.cfg.Where + ")"
}

// userVar returns a function that adds a parameter to params and names it
// as the user variable readers/mysql sets it in.
func userVar(params *[]string) func(string) string {
	return func(v string) string {
		*params = append(*params, v)
		return rmysql.Param(len(*params))
	}
}

// placeholder adds a parameter to args and returns "?".
func placeholder(args *[]any) func(string) string {
	return func(v string) string {
		*args = append(*args, v)
		return "?"
	}
}

// SampleKeys reads about n keys of t spread over r: for the whole of a
// large table a random share of its rows (RAND() in the server: the keys
// cross the wire, not the rows), else every key in r.
func (s *Side) SampleKeys(ctx context.Context, t *compare.Table, r compare.Range, n int, fn func(arrow.RecordBatch) error) error {
	ti, err := s.info(t)
	if err != nil {
		return err
	}
	var params []string
	pred := ""
	switch {
	case r.Lo == nil && r.Hi == nil && !r.Point:
		if t.EstRows > int64(4*n) {
			ppm := 1e6 * 4 * float64(n) / float64(t.EstRows)
			params = append(params, strconv.FormatInt(int64(ppm)+1, 10))
			pred = "RAND() * 1000000 < CAST(" + rmysql.Param(1) + " AS UNSIGNED)"
		}
	case ti.keySQL:
		pred = ti.rangesPred([]compare.Range{r}, userVar(&params))
	}
	if err := s.conn.Select(ctx, ti.st, ti.keyIdx, s.where(pred), params, fn); err != nil {
		return fmt.Errorf("sample keys of %s: %w", t.ID, err)
	}
	return nil
}

// Digests computes the digests of the ranges of parent cut at bounds in
// the server: per row the MD5 of the MD5s of the compared columns' text
// (NULL marked), per range count, sum and xor of its first 64 bits and xor
// of the next 64. Only the digests cross the wire. They compare only with
// another MySQL server's of the same flavor and series (PushdownWith).
func (s *Side) Digests(ctx context.Context, t *compare.Table, columns []string, parent compare.Range, bounds []compare.Key) ([]checksum.Digest, error) {
	ti, err := s.info(t)
	if err != nil {
		return nil, err
	}
	if !ti.keySQL && (len(bounds) > 0 || parent.Lo != nil || parent.Hi != nil) {
		return nil, fmt.Errorf("digests of %s: its key cannot be ordered in SQL as the canonical order (a float key): use --mode=stream", t.ID)
	}
	parts := make([]string, len(columns))
	for i, name := range columns {
		j := t.Index(name)
		if j < 0 {
			return nil, fmt.Errorf("table %s has no column %s", t.ID, name)
		}
		// Per column its own MD5: a row's concatenated text could exceed
		// max_allowed_packet (CONCAT would then be NULL).
		parts[i] = "COALESCE(MD5(" + ti.hashes[j] + "), 'N')"
	}
	var args []any
	arg := placeholder(&args)
	bucket := "0"
	if len(bounds) > 0 {
		bucket = ti.bucketTree(bounds, 0, len(bounds), arg)
	}
	pred := ""
	if parent.Lo != nil || parent.Hi != nil {
		pred = ti.rangesPred([]compare.Range{parent}, arg)
	}
	if pred = s.where(pred); pred == "" {
		pred = "TRUE"
	}
	const h1, h2 = "CAST(CONV(LEFT(m, 16), 16, 10) AS UNSIGNED)", "CAST(CONV(SUBSTRING(m, 17, 16), 16, 10) AS UNSIGNED)"
	q := fmt.Sprintf(`SELECT b, COUNT(*), CAST(COALESCE(SUM(%s), 0) AS CHAR), CAST(BIT_XOR(%s) AS CHAR), CAST(BIT_XOR(%s) AS CHAR)
FROM (SELECT %s AS b, MD5(CONCAT(%s)) AS m FROM %s WHERE %s) s GROUP BY b`,
		h1, h1, h2, bucket, strings.Join(parts, ", "), ti.st.QualifiedName(), pred)
	rows, err := s.conn.SQL().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("digests of %s: %w", t.ID, err)
	}
	defer rows.Close()
	out := make([]checksum.Digest, len(bounds)+1)
	for rows.Next() {
		var b int
		var n int64
		var sum, x1, x2 sql.NullString
		if err := rows.Scan(&b, &n, &sum, &x1, &x2); err != nil {
			return nil, fmt.Errorf("digests of %s: %w", t.ID, err)
		}
		if b < 0 || b >= len(out) {
			return nil, fmt.Errorf("digests of %s: range %d out of %d", t.ID, b, len(out))
		}
		d := &out[b]
		d.Rows = n
		v, ok := new(big.Int).SetString(sum.String, 10)
		if !ok {
			return nil, fmt.Errorf("digests of %s: sum %q", t.ID, sum.String)
		}
		d.Sum.Lo = v.Uint64()
		d.Sum.Hi = new(big.Int).Rsh(v, 64).Uint64()
		if d.Xor.Lo, err = strconv.ParseUint(x1.String, 10, 64); err == nil {
			d.Xor.Hi, err = strconv.ParseUint(x2.String, 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("digests of %s: xor: %w", t.ID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digests of %s: %w", t.ID, err)
	}
	return out, nil
}

// bucketTree is an expression giving the index of the range (of those cut
// at bounds[lo:hi], numbered from lo) that holds a row's key: a binary
// search written as nested CASEs, log2(len(bounds)) key comparisons per row.
func (ti *table) bucketTree(bounds []compare.Key, lo, hi int, param func(string) string) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	mid := (lo + hi) / 2
	return fmt.Sprintf("CASE WHEN %s < %s THEN %s ELSE %s END",
		ti.keyRow(), ti.boundRow(&bounds[mid], param),
		ti.bucketTree(bounds, lo, mid, param), ti.bucketTree(bounds, mid+1, hi, param))
}

// rangesPred is an SQL condition true for rows whose key is in one of
// ranges; param turns each bound value into a parameter reference.
func (ti *table) rangesPred(ranges []compare.Range, param func(string) string) string {
	return compare.RangesSQL(ranges, ti.keyRow(), func(k *compare.Key) string { return ti.boundRow(k, param) })
}

func (ti *table) keyRow() string {
	if len(ti.keyOrder) == 1 {
		return ti.keyOrder[0]
	}
	return "(" + strings.Join(ti.keyOrder, ", ") + ")"
}

func (ti *table) boundRow(k *compare.Key, param func(string) string) string {
	ps := make([]string, len(k.Texts))
	for i, v := range k.Texts {
		ps[i] = fmt.Sprintf(ti.keyParam[i], param(ti.keyText[i](v)))
	}
	if len(ps) == 1 {
		return ps[0]
	}
	return "(" + strings.Join(ps, ", ") + ")"
}
