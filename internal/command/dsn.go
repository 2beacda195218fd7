package command

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a password wherever dbmig shows a connection string.
const Mask = "xxxxx"

var (
	// scheme://user:password@ — the password runs to the last "@" of the
	// whitespace-delimited word, so a password holding an unescaped "@",
	// "/" or "?" is masked whole (at worst a little more is masked).
	urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/\s]*:)(\S*)@`)
	// ?password=... and &sslpassword=... in a URL query (a literal "&" in
	// the value would have to be escaped).
	queryPassword = regexp.MustCompile(`(?i)([?&](?:ssl)?password=)([^&#\s]*)`)
	// password=... and sslpassword=... in key=value strings and error text
	// (pgx quotes them in backticks): a quoted value, or everything up to
	// whitespace.
	kvPassword = regexp.MustCompile("(?i)(^|[\\s`'\"(,;])((?:ssl)?password\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|\\S*)")
	// user:password@tcp(host)/db, the Go MySQL driver's DSN.
	mysqlPassword = regexp.MustCompile(`(^|\s)([^:@/\s=]+:)(\S*)@((?:tcp|unix)\()`)
)

// Redact returns s with every password masked. s is a connection string in
// URL form ("postgres://u:secret@h/db" → "postgres://u:xxxxx@h/db", also
// ?password=), key=value form ("password=secret" → "password=xxxxx"), or any
// text that contains such strings, such as an error message.
func Redact(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}"+Mask+"@")
	s = queryPassword.ReplaceAllString(s, "${1}"+Mask)
	s = kvPassword.ReplaceAllString(s, "${1}${2}"+Mask)
	s = mysqlPassword.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Contains(m, "://") {
			return m // a URL, done above
		}
		return mysqlPassword.ReplaceAllString(m, "${1}${2}"+Mask+"@${4}")
	})
	return s
}

// minSecretLen is the shortest password replaced wherever it appears in
// a message. A shorter one would mangle ordinary words, and guessing it
// takes no message anyway.
const minSecretLen = 4

// Passwords returns the passwords a connection string holds, as written
// and as decoded, for masking text that quotes them without the rest of the
// DSN.
func Passwords(dsn string) []string {
	var pws []string
	add := func(p string) {
		if len(p) >= minSecretLen {
			pws = append(pws, p)
		}
	}
	if m := urlPassword.FindStringSubmatch(dsn); m != nil {
		add(m[2])
		if d, err := url.PathUnescape(m[2]); err == nil && d != m[2] {
			add(d)
		}
	}
	for _, m := range queryPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[2])
		if d, err := url.QueryUnescape(m[2]); err == nil && d != m[2] {
			add(d)
		}
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		v := m[3]
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v[1 : len(v)-1])
		}
		add(v)
	}
	if m := mysqlPassword.FindStringSubmatch(dsn); m != nil && !strings.Contains(m[0], "://") {
		add(m[3])
	}
	return pws
}

// Redactor masks connection-string passwords and a set of known secrets in
// text.
type Redactor struct{ secrets []string }

// NewRedactor returns a Redactor for the passwords of dsns and the given
// extra secrets (such as $PGPASSWORD).
func NewRedactor(dsns []string, secrets ...string) *Redactor {
	r := &Redactor{}
	for _, d := range dsns {
		r.secrets = append(r.secrets, Passwords(d)...)
	}
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

// Text returns s with passwords masked.
func (r *Redactor) Text(s string) string {
	s = Redact(s)
	for _, p := range r.secrets {
		s = strings.ReplaceAll(s, p, Mask)
	}
	return s
}

// RedactError returns err with the passwords of dsn masked in its message,
// wherever they appear: in the DSN echoed whole (pgx quotes connection
// strings in some errors) or alone. errors.Is and errors.As still see err.
func RedactError(err error, dsns ...string) error {
	if err == nil {
		return nil
	}
	msg := NewRedactor(dsns).Text(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Engines a DSN can name.
const (
	EnginePostgres = "postgres"
	EngineMySQL    = "mysql"
)

// Engine says which database engine a connection string is for:
// postgres:// and postgresql:// URLs and key=value strings ("host=h
// dbname=d") are PostgreSQL, mysql:// and mariadb:// are MySQL. Anything else
// is a usage error; what names the argument in that message.
func Engine(dsn, what string) (string, error) {
	if dsn == "" {
		return "", Usagef("%s is empty", what)
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		switch strings.ToLower(scheme) {
		case "postgres", "postgresql":
			return EnginePostgres, nil
		case "mysql", "mariadb":
			return EngineMySQL, nil
		}
		return "", Usagef("%s %q: unknown scheme %q (want postgres://, postgresql:// or mysql://)", what, Redact(dsn), scheme)
	}
	if strings.Contains(dsn, "=") {
		return EnginePostgres, nil
	}
	return "", Usagef("%s %q is not a connection string (want postgres://..., mysql://... or key=value pairs such as \"host=h dbname=d\")", what, Redact(dsn))
}
