package checksum

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
)

// canonicalJSON rewrites a JSON document so that documents equal as JSON
// values encode alike, whichever engine normalized them how: no whitespace,
// object keys sorted bytewise with the last of duplicate keys kept (as
// jsonb does), strings re-escaped one way, numbers by value (1.50, 1.5 and
// 15e-1 alike; written as digits and, for fractions, e-scale). It reports
// false for text that is not one JSON value; such text is hashed as it is.
func canonicalJSON(s string) ([]byte, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	var b bytes.Buffer
	writeJSON(&b, v)
	return b.Bytes(), true
}

func writeJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, v[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case string:
		writeJSONString(b, v)
	case json.Number:
		b.WriteString(canonicalNumber(string(v)))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

// canonicalNumber writes a JSON number as c or c"e-"s with c × 10^-s the
// value and s ≥ 0 minimal. Exponents too large to expand are kept as given.
func canonicalNumber(s string) string {
	c, scale, ok := parseDecimal(s)
	if !ok || scale < -1000 {
		return s
	}
	if c.Sign() == 0 {
		return "0"
	}
	if scale < 0 {
		for ; scale < 0; scale++ {
			c.Mul(c, bigTen)
		}
	}
	str := c.String()
	for scale > 0 && strings.HasSuffix(str, "0") {
		str = str[:len(str)-1]
		scale--
	}
	if scale == 0 {
		return str
	}
	return str + "e-" + strconv.Itoa(int(scale))
}
