package convert

import (
	"fmt"
	"strings"
)

// A small, strict translator of MySQL expressions and simple SELECTs into
// PostgreSQL. It rewrites tokens, it does not parse: identifiers (backticks
// to double quotes, renamed by the identifier policy), string literals
// (MySQL's backslash escapes decoded, then written as standard literals),
// and a whitelist of keywords and functions. Anything it does not know
// makes the whole expression untranslatable, so the caller reports it
// rather than emitting SQL that means something else.

// mysqlExpr translates a MySQL expression. rename maps identifiers;
// schemaOf maps a qualifier (database name) to the target schema.
type exprTranslator struct {
	rename   renamer
	schemaOf func(string) string
}

// pgKeywords pass through unchanged (case-folded to upper).
var pgKeywords = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true, "is": true,
	"null": true, "in": true, "as": true, "on": true, "join": true, "left": true, "right": true,
	"inner": true, "outer": true, "cross": true, "group": true, "by": true, "order": true, "asc": true,
	"desc": true, "having": true, "case": true, "when": true, "then": true, "else": true, "end": true,
	"between": true, "like": true, "distinct": true, "union": true, "all": true, "true": true,
	"false": true, "exists": true, "limit": true, "offset": true, "using": true, "interval": true,
	"day": true, "hour": true, "minute": true, "second": true, "month": true, "year": true,
}

// pgFunctions maps MySQL function names (lower case) to PostgreSQL; the
// value "" means the same name. A function not listed is untranslatable.
var pgFunctions = map[string]string{
	"ifnull": "COALESCE", "coalesce": "", "nullif": "", "concat": "", "concat_ws": "",
	"lower": "", "upper": "", "lcase": "lower", "ucase": "upper", "abs": "", "round": "", "floor": "",
	"ceil": "", "ceiling": "", "greatest": "", "least": "", "substring": "", "substr": "",
	"trim": "", "ltrim": "", "rtrim": "", "replace": "", "char_length": "", "character_length": "char_length",
	"length": "octet_length", "octet_length": "", "count": "", "sum": "", "min": "", "max": "", "avg": "",
	"now": "now", "md5": "", "sign": "", "sqrt": "", "power": "", "pow": "power", "exp": "", "ln": "",
	"left": "", "right": "", "lpad": "", "rpad": "", "reverse": "", "repeat": "",
}

// niladic maps MySQL functions written with empty parentheses (or bare) to
// PostgreSQL's SQL-standard forms without parentheses.
var niladic = map[string]string{
	"current_timestamp": "CURRENT_TIMESTAMP", "localtimestamp": "LOCALTIMESTAMP", "localtime": "LOCALTIMESTAMP",
	"current_date": "CURRENT_DATE", "curdate": "CURRENT_DATE", "current_time": "CURRENT_TIME", "curtime": "CURRENT_TIME",
	"current_user": "CURRENT_USER",
}

type token struct {
	kind byte // 'i' identifier (quoted), 'w' word, 's' string, 'n' number, 'o' operator/punct
	text string
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '`':
			var b strings.Builder
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '`' {
					if j+1 < len(s) && s[j+1] == '`' {
						b.WriteByte('`')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated identifier")
			}
			toks = append(toks, token{'i', b.String()})
			i = j + 1
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					switch s[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					case '0':
						b.WriteByte(0)
					case 'Z':
						b.WriteByte(26)
					case 'b':
						b.WriteByte('\b')
					case '%', '_':
						// In LIKE patterns MySQL keeps the backslash.
						b.WriteByte('\\')
						b.WriteByte(s[j])
					default:
						b.WriteByte(s[j])
					}
					continue
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, token{'s', b.String()})
			i = j + 1
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			toks = append(toks, token{'n', s[i:j]})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			w := s[i:j]
			// A charset introducer before a string literal: _utf8mb4'x'.
			if w[0] == '_' && j < len(s) && (s[j] == '\'' || s[j] == '"') {
				i = j
				continue
			}
			toks = append(toks, token{'w', w})
			i = j
		default:
			for _, op := range []string{"<=>", "<>", "!=", "<=", ">=", "||", "&&", ":=", "->>", "->"} {
				if strings.HasPrefix(s[i:], op) {
					toks = append(toks, token{'o', op})
					i += len(op)
					goto next
				}
			}
			toks = append(toks, token{'o', string(c)})
			i++
		next:
		}
	}
	return toks, nil
}

// toPG translates a MySQL expression or SELECT into PostgreSQL.
func (x exprTranslator) toPG(s string) (string, error) {
	toks, err := tokenize(s)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errUntranslatable, err)
	}
	var out []string
	// parens holds, per open parenthesis, whether it is CONCAT's: its
	// commas become ||. MySQL's CONCAT is NULL when an argument is, as ||
	// is; PostgreSQL's concat() skips NULLs and is only stable, which a
	// generated column refuses.
	var parens []bool
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		nextIs := func(s string) bool { return i+1 < len(toks) && toks[i+1].kind == 'o' && toks[i+1].text == s }
		switch t.kind {
		case 'i':
			if nextIs(".") && x.schemaOf != nil && i+2 < len(toks) && toks[i+2].kind == 'i' && i+3 < len(toks) && toks[i+3].kind == 'o' && toks[i+3].text == "." {
				// db.table.column: the first part is a database.
				out = append(out, pgIdent(x.schemaOf(t.text)))
				continue
			}
			if nextIs(".") && x.schemaOf != nil && isTableContext(toks, i) {
				out = append(out, pgIdent(x.schemaOf(t.text)))
				continue
			}
			out = append(out, pgIdent(x.rename(t.text)))
		case 's':
			out = append(out, pgLiteral(t.text))
		case 'n':
			out = append(out, t.text)
		case 'w':
			lw := strings.ToLower(t.text)
			if nextIs("(") {
				if n, ok := niladic[lw]; ok && i+2 < len(toks) {
					// current_timestamp() → CURRENT_TIMESTAMP; (6) keeps a precision.
					if toks[i+2].kind == 'o' && toks[i+2].text == ")" {
						out = append(out, n)
						i += 2
						continue
					}
					out = append(out, n)
					continue
				}
				if lw == "concat" {
					out = append(out, "(")
					parens = append(parens, true)
					i++ // its "("
					continue
				}
				f, ok := pgFunctions[lw]
				if !ok {
					return "", fmt.Errorf("%w: function %s()", errUntranslatable, t.text)
				}
				if f == "" {
					f = lw
				}
				out = append(out, f)
				continue
			}
			if n, ok := niladic[lw]; ok {
				out = append(out, n)
				continue
			}
			if !pgKeywords[lw] {
				return "", fmt.Errorf("%w: %q", errUntranslatable, t.text)
			}
			if lw == "limit" && i+2 < len(toks) && toks[i+2].kind == 'o' && toks[i+2].text == "," {
				return "", fmt.Errorf("%w: LIMIT offset, count", errUntranslatable)
			}
			out = append(out, strings.ToUpper(lw))
		case 'o':
			switch t.text {
			case "(":
				parens = append(parens, false)
				out = append(out, t.text)
			case ")":
				if len(parens) > 0 {
					parens = parens[:len(parens)-1]
				}
				out = append(out, t.text)
			case ",":
				if len(parens) > 0 && parens[len(parens)-1] {
					out = append(out, "||")
				} else {
					out = append(out, t.text)
				}
			case ".", "=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "%", ";":
				out = append(out, t.text)
			case "<=>":
				out = append(out, "IS NOT DISTINCT FROM")
			default:
				// "/" divides integers exactly in MySQL and truncates in
				// PostgreSQL; || is OR in MySQL; && ! @ -> are MySQL-only.
				return "", fmt.Errorf("%w: operator %s", errUntranslatable, t.text)
			}
		}
	}
	return join(out), nil
}

// isTableContext reports whether identifier i, followed by ".", names a
// database: it comes right after FROM or JOIN (a table reference).
func isTableContext(toks []token, i int) bool {
	if i == 0 || toks[i-1].kind != 'w' {
		return false
	}
	p := strings.ToLower(toks[i-1].text)
	return p == "from" || p == "join"
}

// join writes tokens back with spaces where SQL needs them.
func join(toks []string) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			prev := toks[i-1]
			tight := t == ")" || t == "," || t == "." || prev == "(" || prev == "." ||
				(t == "(" && prev != "" && isWordish(prev))
			if !tight {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
	}
	return b.String()
}

func isWordish(s string) bool {
	c := s[len(s)-1]
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '"' || c >= '0' && c <= '9'
}
