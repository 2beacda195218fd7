// Package streamfile is a dbmig stream (a file, or stdin spooled to a
// temporary file) as one side of a comparison (checksum/compare).
//
// A stream cannot seek to a key range: every scan reads the file again and
// hands over all rows of the table (compare keeps those of the ranges it
// asked for). stdin is copied to a temporary file first, because a
// comparison reads its sides more than once (digests, then the rows of the
// ranges that differ).
package streamfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/format"
)

// Side is a stream file as one side of a comparison.
type Side struct {
	path   string
	temp   bool // path is our spool of stdin: removed by Close
	name   string
	mem    memory.Allocator
	tables map[*compare.Table]string
}

var _ compare.Side = (*Side)(nil)

// Open opens the stream file path, or with path "-" reads stdin to its end
// into a temporary file (in $TMPDIR).
func Open(ctx context.Context, path string, stdin io.Reader) (*Side, error) {
	s := &Side{path: path, name: path, mem: memory.DefaultAllocator, tables: map[*compare.Table]string{}}
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		return s, f.Close()
	}
	f, err := os.CreateTemp("", "dbcheck-stdin-*.arrows")
	if err != nil {
		return nil, fmt.Errorf("spool stdin: %w", err)
	}
	s.path, s.temp, s.name = f.Name(), true, "stdin"
	if err := spool(ctx, f, stdin); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("spool stdin: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("spool stdin: %w", err)
	}
	return s, nil
}

// spool copies r to w, stopping when ctx is done (between reads).
func spool(ctx context.Context, w io.Writer, r io.Reader) error {
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Name returns the file name, or "stdin".
func (s *Side) Name() string { return s.name }

// Close removes the spool of stdin.
func (s *Side) Close() error {
	if s.temp {
		return os.Remove(s.path)
	}
	return nil
}

// read calls fn for every data segment of the stream, which it reads whole
// and verifies (seals, trailer).
func (s *Side) read(ctx context.Context, fn func(*format.Segment) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := format.NewReader(newBuffered(f), format.ReaderOptions{Allocator: s.mem})
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		seg, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if seg.Header.Kind != format.KindSnapshot {
			continue
		}
		if err := fn(seg); err != nil {
			return err
		}
	}
}

// Tables lists the tables of the stream's snapshot segments.
func (s *Side) Tables(ctx context.Context, f compare.Filter) ([]*compare.Table, error) {
	byName := map[string]*compare.Table{}
	var out []*compare.Table
	err := s.read(ctx, func(seg *format.Segment) error {
		h := seg.Header
		if !f.Match(h.Table) {
			return nil
		}
		name := h.Table.String()
		t := byName[name]
		if t == nil {
			t = &compare.Table{ID: h.Table, Schema: arrow.NewSchema(seg.Schema.Fields(), nil), Columns: seg.Columns,
				PrimaryKey: h.PrimaryKey, Constraints: h.Constraints, Indexes: h.Indexes, Engine: h.Dialect()}
			byName[name] = t
			s.tables[t] = name
			out = append(out, t)
		} else if !t.Schema.Equal(arrow.NewSchema(seg.Schema.Fields(), nil)) {
			return fmt.Errorf("%s: table %s: segment %d has other columns than the first", s.name, name, seg.Index)
		}
		for {
			if _, err := seg.Read(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return err
			}
		}
		t.EstRows += seg.Rows()
		return nil
	})
	return out, err
}

// Scan reads every row of t (ranges cannot be sought in a stream).
func (s *Side) Scan(ctx context.Context, t *compare.Table, _ []compare.Range, fn func(arrow.RecordBatch) error) error {
	name, ok := s.tables[t]
	if !ok {
		return fmt.Errorf("table %s is not from this side", t.ID)
	}
	return s.read(ctx, func(seg *format.Segment) error {
		if seg.Header.Table.String() != name {
			return nil
		}
		for {
			rec, err := seg.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
	})
}
