package pgcodec

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Everything in this file runs only when a value has failed.

// valueError wraps err, the failure of column i in the row being decoded.
func (d *Decoder) valueError(i int, err error) error {
	var key strings.Builder
	for _, k := range d.Keys {
		if k < 0 || k >= i {
			continue // not decoded yet in this row
		}
		c := d.cols[k]
		if key.Len() > 0 {
			key.WriteString(", ")
		}
		key.WriteString(c.name)
		key.WriteByte('=')
		key.WriteString(lastValueText(c))
	}
	return &ValueError{Column: d.cols[i].name, Row: d.rows + 1, Key: key.String(), Err: err}
}

// lastValueText formats the value last appended to c, for a message.
func lastValueText(c *column) string {
	i := c.n - 1
	if i < 0 {
		return "?"
	}
	if c.isNull(i) {
		return "NULL"
	}
	fixed := func(w int) []byte { return c.vals.b[i*w : (i+1)*w] }
	switch c.kind {
	case kBool:
		return strconv.FormatBool(c.vals.b[i>>3]&(1<<(i&7)) != 0)
	case kInt2:
		return strconv.Itoa(int(int16(binary.LittleEndian.Uint16(fixed(2)))))
	case kInt4:
		return strconv.Itoa(int(int32(binary.LittleEndian.Uint32(fixed(4)))))
	case kInt8:
		return strconv.FormatInt(int64(binary.LittleEndian.Uint64(fixed(8))), 10)
	case kFloat4:
		return strconv.FormatFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(fixed(4)))), 'g', -1, 32)
	case kFloat8:
		return strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(fixed(8))), 'g', -1, 64)
	case kNumDec:
		b := fixed(16)
		n := decimal128.New(int64(binary.LittleEndian.Uint64(b[8:])), binary.LittleEndian.Uint64(b))
		if c.scale < -decimal128.MaxScale || c.scale > decimal128.MaxScale {
			return n.BigInt().String() + "e" + strconv.Itoa(int(-c.scale))
		}
		return n.ToString(c.scale)
	case kText, kNumText, kJSONB, kInet, kCidr:
		beg := binary.LittleEndian.Uint32(c.offs.b[4*i:])
		end := binary.LittleEndian.Uint32(c.offs.b[4*i+4:])
		return strconv.Quote(truncate(c.vals.b[beg:end]))
	case kUUID:
		return hex.EncodeToString(fixed(16))
	case kDate:
		days := int32(binary.LittleEndian.Uint32(fixed(4)))
		return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
	case kTimestamp:
		us := int64(binary.LittleEndian.Uint64(fixed(8)))
		return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.999999")
	}
	return "?"
}
