package binlog

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// textDecoder converts a column's bytes to UTF-8, appending to dst. Columns
// whose charset is already UTF-8 (or ASCII) have none: their bytes are used
// as they are.
type textDecoder interface {
	appendUTF8(dst, src []byte) ([]byte, error)
}

// textDecoderFor returns the converter for a MySQL charset name, nil when
// the bytes are UTF-8 already.
func textDecoderFor(charset string) (textDecoder, error) {
	switch charset {
	case "utf8mb4", "utf8mb3", "utf8", "ascii", "binary":
		return nil, nil
	case "latin1":
		return latin1Decoder{}, nil
	}
	if enc, ok := xtextCharsets[charset]; ok {
		return xtextDecoder{enc}, nil
	}
	return nil, fmt.Errorf("charset %s is not supported", charset)
}

// xtextCharsets maps MySQL charset names to golang.org/x/text encodings.
var xtextCharsets = map[string]encoding.Encoding{
	"latin2":   charmap.ISO8859_2,
	"latin5":   charmap.ISO8859_9,
	"latin7":   charmap.ISO8859_13,
	"greek":    charmap.ISO8859_7,
	"hebrew":   charmap.ISO8859_8,
	"cp1250":   charmap.Windows1250,
	"cp1251":   charmap.Windows1251,
	"cp1256":   charmap.Windows1256,
	"cp1257":   charmap.Windows1257,
	"cp850":    charmap.CodePage850,
	"cp852":    charmap.CodePage852,
	"cp866":    charmap.CodePage866,
	"koi8r":    charmap.KOI8R,
	"koi8u":    charmap.KOI8U,
	"macroman": charmap.Macintosh,
	"sjis":     japanese.ShiftJIS,
	"cp932":    japanese.ShiftJIS,
	"ujis":     japanese.EUCJP,
	"eucjpms":  japanese.EUCJP,
	"gbk":      simplifiedchinese.GBK,
	"gb2312":   simplifiedchinese.GBK,
	"gb18030":  simplifiedchinese.GB18030,
	"big5":     traditionalchinese.Big5,
	"euckr":    korean.EUCKR,
	"ucs2":     unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16":    unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le":  unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf32":    utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
}

type xtextDecoder struct{ enc encoding.Encoding }

func (d xtextDecoder) appendUTF8(dst, src []byte) ([]byte, error) {
	out, err := d.enc.NewDecoder().Bytes(src)
	if err != nil {
		return dst, err
	}
	return append(dst, out...), nil
}

// latin1Decoder converts MySQL's latin1, which is Windows-1252 with the five
// bytes cp1252 leaves undefined mapped to the C1 controls of the same value
// (so every byte converts and converts back).
type latin1Decoder struct{}

var latin1High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

func (latin1Decoder) appendUTF8(dst, src []byte) ([]byte, error) {
	for _, b := range src {
		switch {
		case b < 0x80:
			dst = append(dst, b)
		case b < 0xA0:
			dst = utf8.AppendRune(dst, latin1High[b-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(b))
		}
	}
	return dst, nil
}

// toUTF8 converts src with dec (nil: src is UTF-8 already) into dst.
func toUTF8(dec textDecoder, src, dst []byte) ([]byte, error) {
	if dec == nil {
		return append(dst, src...), nil
	}
	return dec.appendUTF8(dst, src)
}
