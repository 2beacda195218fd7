package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dbmig/dbmig/format"
	"github.com/jackc/pglogrepl"
)

// pgoutput's I, U and D messages are parsed here rather than by pglogrepl,
// which copies every value into its own allocation: these run once per
// changed row, and the values go straight into the window's COPY row.

var errShortMessage = errors.New("pgoutput message is truncated")

// tuple is a TupleData submessage: the raw column entries.
type tuple struct {
	kinds  []byte   // 'n', 'u', 't' or 'b' per column
	values [][]byte // sub-slices of the message
}

// parseTuple reads a TupleData at the start of b and returns the rest.
func parseTuple(b []byte, t *tuple) ([]byte, error) {
	if len(b) < 2 {
		return nil, errShortMessage
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	t.kinds, t.values = t.kinds[:0], t.values[:0]
	for range n {
		if len(b) < 1 {
			return nil, errShortMessage
		}
		k := b[0]
		b = b[1:]
		var v []byte
		switch k {
		case 'n', 'u':
		case 't', 'b':
			if len(b) < 4 {
				return nil, errShortMessage
			}
			l := int(binary.BigEndian.Uint32(b))
			if l < 0 || len(b) < 4+l {
				return nil, errShortMessage
			}
			v, b = b[4:4+l], b[4+l:]
		default:
			return nil, fmt.Errorf("pgoutput tuple column kind %q is unknown", k)
		}
		t.kinds = append(t.kinds, k)
		t.values = append(t.values, v)
	}
	return b, nil
}

// dml is a parsed insert, update or delete.
type dml struct {
	op     string
	relID  uint32
	oldKey byte // 0, 'K' (key columns) or 'O' (whole old row)
	old    tuple
	new    tuple
}

func parseDML(b []byte, d *dml) error {
	if len(b) < 5 {
		return errShortMessage
	}
	switch b[0] {
	case 'I':
		d.op = format.OpInsert
	case 'U':
		d.op = format.OpUpdate
	case 'D':
		d.op = format.OpDelete
	}
	d.relID = binary.BigEndian.Uint32(b[1:])
	b = b[5:]
	d.oldKey = 0
	d.old.kinds, d.new.kinds = d.old.kinds[:0], d.new.kinds[:0]
	var err error
	if len(b) > 0 && (b[0] == 'K' || b[0] == 'O') {
		d.oldKey = b[0]
		if b, err = parseTuple(b[1:], &d.old); err != nil {
			return err
		}
	}
	if d.op == format.OpDelete {
		return nil
	}
	if len(b) < 1 || b[0] != 'N' {
		return fmt.Errorf("pgoutput %s message has no new tuple", d.op)
	}
	_, err = parseTuple(b[1:], &d.new)
	return err
}

// encodeChange appends one change of relation r as a COPY row to the window.
func (s *cdcSession) encodeChange(r *relation, d *dml, lsn pglogrepl.LSN) error {
	n := len(r.cols)
	if len(d.new.kinds) != 0 && len(d.new.kinds) != n || len(d.old.kinds) != 0 && len(d.old.kinds) != n {
		return fmt.Errorf("table %s: tuple has %d/%d columns, the relation %d", r.id, len(d.new.kinds), len(d.old.kinds), n)
	}
	b := &s.row
	b.start(format.ChangeColumns + 2*n)
	b.text(d.op)
	b.int8(int64(lsn))
	b.int8(int64(s.tx.finalLSN))
	b.int8(int64(s.tx.xid))
	b.timestamptz(s.tx.commitTime)
	// The unchanged bitmap: TOASTed values an update did not touch are not
	// sent ('u'); the after image has NULL there and the bit says "keep".
	s.unchanged = s.unchanged[:0]
	for i, k := range d.new.kinds {
		if k == 'u' {
			for len(s.unchanged) <= i/8 {
				s.unchanged = append(s.unchanged, make([]byte, (n+7)/8-len(s.unchanged))...)
			}
			s.unchanged[i/8] |= 1 << (i % 8)
		}
	}
	if len(s.unchanged) > 0 {
		b.bytes(s.unchanged)
	} else {
		b.null()
	}
	switch d.oldKey {
	case 'K':
		b.text("key")
	case 'O':
		b.text("full")
	default:
		b.null()
	}
	for _, img := range []*tuple{&d.new, &d.old} {
		if len(img.kinds) == 0 {
			for range n {
				b.null()
			}
			continue
		}
		for i, k := range img.kinds {
			switch k {
			case 'b':
				b.bytes(img.values[i])
			case 't':
				return fmt.Errorf("table %s column %s: pgoutput sent text, not binary", r.id, r.cols[i].Name)
			default:
				b.null()
			}
		}
	}
	return s.win.add(s.win.table(r), b.buf)
}

// encodeTruncate appends a truncate row for relation r.
func (s *cdcSession) encodeTruncate(r *relation, lsn pglogrepl.LSN) error {
	n := len(r.cols)
	b := &s.row
	b.start(format.ChangeColumns + 2*n)
	b.text(format.OpTruncate)
	b.int8(int64(lsn))
	b.int8(int64(s.tx.finalLSN))
	b.int8(int64(s.tx.xid))
	b.timestamptz(s.tx.commitTime)
	b.null()
	b.null()
	for range 2 * n {
		b.null()
	}
	return s.win.add(s.win.table(r), b.buf)
}
