package pgcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Binary arrays (array_send, array_recv):
//
//	int32 ndim, int32 flags (1 = has nulls), uint32 element type OID,
//	ndim × (int32 length, int32 lower bound), then each element as
//	int32 length (-1 for NULL) and its bytes.
//
// An empty array has ndim 0 and nothing after the element OID.

var errArrayShort = errors.New("binary array value is truncated")

// decodeArray appends a one-dimensional array with lower bound 1 as a list.
func decodeArray(c *column, v []byte) error {
	if len(v) < 12 {
		return errArrayShort
	}
	ndim := int32(binary.BigEndian.Uint32(v))
	flags := binary.BigEndian.Uint32(v[4:])
	if flags > 1 {
		return fmt.Errorf("binary array value has invalid flags 0x%x", flags)
	}
	kid := c.kids[0]
	switch {
	case ndim == 0:
		if len(v) != 12 {
			return fmt.Errorf("empty binary array value has %d extra bytes", len(v)-12)
		}
	case ndim == 1:
		if len(v) < 20 {
			return errArrayShort
		}
		n := int(int32(binary.BigEndian.Uint32(v[12:])))
		lb := int32(binary.BigEndian.Uint32(v[16:]))
		if lb != 1 {
			return fmt.Errorf("array has lower bound %d; only arrays starting at 1 are supported", lb)
		}
		if n < 0 {
			return fmt.Errorf("binary array value has invalid length %d", n)
		}
		off := 20
		for j := range n {
			if len(v) < off+4 {
				return errArrayShort
			}
			l := int(int32(binary.BigEndian.Uint32(v[off:])))
			off += 4
			if l < 0 {
				if l != -1 {
					return fmt.Errorf("binary array element %d has invalid length %d", j+1, l)
				}
				kid.putNull()
				continue
			}
			if len(v) < off+l {
				return errArrayShort
			}
			if err := decodeValue(kid, v[off:off+l]); err != nil {
				return fmt.Errorf("element %d: %w", j+1, err)
			}
			off += l
		}
		if off != len(v) {
			return fmt.Errorf("binary array value has %d extra bytes", len(v)-off)
		}
		if int64(kid.n) > 1<<31-1 {
			return errBatchTooBig
		}
	default:
		return fmt.Errorf("array has %d dimensions; only one-dimensional arrays are supported", ndim)
	}
	c.offs.grow(4)
	binary.LittleEndian.PutUint32(c.offs.b[c.offs.n:], uint32(kid.n))
	c.offs.n += 4
	c.n++
	return nil
}

// putArray writes a list value as a one-dimensional array with lower bound 1
// (ndim 0 when empty), tagged with the target's element OID.
func putArray(c *encCol, dst []byte, row int) (int, error) {
	beg, end := int(c.offs[row]), int(c.offs[row+1])
	if len(dst) < 4+20 {
		return noRoom, nil
	}
	ndim, hdr := uint32(1), 20
	if beg == end {
		ndim, hdr = 0, 12
	}
	var flags uint32
	for j := beg; j < end; j++ {
		if c.kid.isNull(j) {
			flags = 1
			break
		}
	}
	v := dst[4:]
	binary.BigEndian.PutUint32(v, ndim)
	binary.BigEndian.PutUint32(v[4:], flags)
	binary.BigEndian.PutUint32(v[8:], c.elemOID)
	if ndim == 1 {
		binary.BigEndian.PutUint32(v[12:], uint32(end-beg))
		binary.BigEndian.PutUint32(v[16:], 1)
	}
	n := hdr
	for j := beg; j < end; j++ {
		k, err := put(c.kid, v[n:], j)
		if err != nil {
			return 0, fmt.Errorf("element %d: %w", j-beg+1, err)
		}
		if k < 0 {
			return noRoom, nil
		}
		n += k
	}
	binary.BigEndian.PutUint32(dst, uint32(n))
	return 4 + n, nil
}
