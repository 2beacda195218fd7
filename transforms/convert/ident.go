package convert

import (
	"strings"
	"unicode"
)

// renamer applies the --identifiers policy to one name.
type renamer func(string) string

func newRenamer(policy string) renamer {
	switch policy {
	case "lower":
		return strings.ToLower
	case "snake":
		return snake
	}
	return func(s string) string { return s }
}

// snake turns OrderLine, orderLine, ORDER_LINE, "Order Line" and
// HTTPServer into order_line, order_line, order_line, order_line and
// http_server: a word break before an upper-case letter that follows a
// lower-case letter or digit, or that starts a capitalised word after an
// acronym; spaces and hyphens become underscores.
func snake(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range rs {
		switch {
		case r == ' ' || r == '-':
			r = '_'
		case unicode.IsUpper(r) && i > 0:
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	out := b.String()
	for strings.Contains(out, "__") {
		out = strings.ReplaceAll(out, "__", "_")
	}
	return out
}

// pgIdent quotes a PostgreSQL identifier.
func pgIdent(parts ...string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(q, ".")
}

// myIdent quotes a MySQL identifier.
func myIdent(parts ...string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = "`" + strings.ReplaceAll(p, "`", "``") + "`"
	}
	return strings.Join(q, ".")
}

// pgLiteral quotes a PostgreSQL string literal (standard_conforming_strings).
func pgLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// myLiteral quotes a MySQL string literal.
func myLiteral(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
