package command

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:secret@h/db", "postgres://u:xxxxx@h/db"},
		{"postgresql://u:secret@h:5432/db?sslmode=require", "postgresql://u:xxxxx@h:5432/db?sslmode=require"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://h/db", "postgres://h/db"},
		{"postgres://h:5432/db", "postgres://h:5432/db"},
		{"postgres://u:@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u:p%40ss@h1:5432,h2:5433/db", "postgres://u:xxxxx@h1:5432,h2:5433/db"},
		{"postgres://u:p@ss/w?rd@h/db", "postgres://u:xxxxx@h/db"}, // unescaped @ / ? masked whole
		{"mysql://root:hunter2@tcp(h:3306)/db", "mysql://root:xxxxx@tcp(h:3306)/db"},
		{"postgres://h/db?user=u&password=secret&sslmode=require", "postgres://h/db?user=u&password=xxxxx&sslmode=require"},
		{"postgres://h/db?sslpassword=secret", "postgres://h/db?sslpassword=xxxxx"},
		{"host=h user=u password=secret dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"password=secret", "password=xxxxx"},
		{"host=h password = secret", "host=h password = xxxxx"},
		{"host=h PASSWORD=secret", "host=h PASSWORD=xxxxx"},
		{"host=h password='se cret\\' x' dbname=db", "host=h password=xxxxx dbname=db"},
		{"host=h sslpassword=secret", "host=h sslpassword=xxxxx"},
		{"root:hunter2@tcp(127.0.0.1:3306)/db", "root:xxxxx@tcp(127.0.0.1:3306)/db"},
		{"cannot parse `host=h password=secret`: bad", "cannot parse `host=h password=xxxxx bad"},
		{"dial postgres://u:secret@h/db: refused, retry postgres://v:other@h2/db", "dial postgres://u:xxxxx@h/db: refused, retry postgres://v:xxxxx@h2/db"},
		{"password authentication failed for user \"u\"", "password authentication failed for user \"u\""},
		{"host=h dbname=db", "host=h dbname=db"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if strings.Contains(tc.want, Mask) && strings.Contains(Redact(tc.in), "secret") {
			t.Errorf("Redact(%q) leaks the password", tc.in)
		}
	}
}

func TestPasswords(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want []string
	}{
		{"postgres://u:secret@h/db", []string{"secret"}},
		{"postgres://u:p%40ssword@h/db", []string{"p%40ssword", "p@ssword"}},
		{"postgres://h/db?password=s%26cret", []string{"s%26cret", "s&cret"}},
		{"host=h password='ab' x", nil}, // too short to replace in free text
		{"host=h password='se\\'cret'", []string{"se'cret"}},
		{"host=h password=secret", []string{"secret"}},
		{"root:hunter2@tcp(h)/db", []string{"hunter2"}},
		{"postgres://u:abc@h/db", nil}, // shorter than minSecretLen
		{"postgres://u@h/db", nil},
	} {
		got := Passwords(tc.dsn)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Passwords(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

func TestRedactError(t *testing.T) {
	dsn := "postgres://app:s3cr%2Ft@db1/shop"
	// An error that quotes the password alone, decoded, and the DSN whole.
	base := fmt.Errorf("server said: bad password s3cr/t for %s: %w", dsn, io.ErrUnexpectedEOF)
	err := RedactError(base, dsn)
	if strings.Contains(err.Error(), "s3cr") {
		t.Fatalf("password leaked: %v", err)
	}
	if !strings.Contains(err.Error(), "postgres://app:xxxxx@db1/shop") {
		t.Errorf("DSN not shown redacted: %v", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("errors.Is lost through RedactError")
	}
	if RedactError(nil, dsn) != nil {
		t.Errorf("RedactError(nil) != nil")
	}
	plain := errors.New("no secrets here")
	if RedactError(plain, dsn) != plain {
		t.Errorf("an error without secrets should come back unchanged")
	}
}

func TestEngine(t *testing.T) {
	for _, tc := range []struct {
		dsn, want string
		usage     bool
	}{
		{"postgres://h/db", EnginePostgres, false},
		{"postgresql://h/db", EnginePostgres, false},
		{"POSTGRES://h/db", EnginePostgres, false},
		{"host=h dbname=db", EnginePostgres, false},
		{"mysql://h/db", EngineMySQL, false},
		{"mariadb://h/db", EngineMySQL, false},
		{"oracle://u:secret@h/db", "", true},
		{"shop", "", true},
		{"", "", true},
	} {
		got, err := Engine(tc.dsn, "SOURCE_DSN")
		var ue *UsageError
		if got != tc.want || (err != nil) != tc.usage || (err != nil && !errors.As(err, &ue)) {
			t.Errorf("Engine(%q) = %q, %v; want %q, usage error %v", tc.dsn, got, err, tc.want, tc.usage)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Engine(%q) error leaks the password: %v", tc.dsn, err)
		}
	}
}
