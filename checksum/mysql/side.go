// Package mysql is the MySQL and MariaDB side of a comparison
// (checksum/compare): it lists tables from information_schema, reads key
// ranges into Arrow batches parsed exactly as readers/mysql parses them,
// samples keys, and computes range digests inside the server (pushdown)
// when the other side is the same flavor and version. See docs/CHECKSUM.md.
//
// Key ranges are cut in the canonical key order, never the server's
// collation: a text key is compared in SQL as its UTF-8 bytes
// (CAST(CONVERT(k USING utf8mb4) AS BINARY)), so that a range selects
// exactly the keys the canonical order puts in it, whatever the column's
// collation ('a' = 'A' in utf8mb4_general_ci, 'a' = 'a ' in any PAD SPACE
// collation). Such a predicate cannot use the key's index: each range query
// of a table with a text key reads the table in the server.
package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dbmig/dbmig/checksum/compare"
	rmysql "github.com/dbmig/dbmig/readers/mysql"
)

// Config says which database to read and how.
type Config struct {
	// DSN is a mysql:// or mariadb:// URL or a go-sql-driver DSN (as
	// readers/mysql takes it; MYSQL_PWD when it has no password).
	DSN string
	// Where, when set, is an SQL condition that selects the rows to compare.
	Where string
	// Name describes the side in messages; give the DSN with its password
	// masked (default "mysql").
	Name   string
	Logger *slog.Logger
}

// Side is a MySQL or MariaDB database as one side of a comparison. It is not
// safe for concurrent use (compare uses each side from one goroutine).
type Side struct {
	cfg    Config
	conn   *rmysql.ScanConn
	name   string
	tables map[*compare.Table]*table
}

var (
	_ compare.Side    = (*Side)(nil)
	_ compare.Sampler = (*Side)(nil)
	_ compare.Pusher  = (*Side)(nil)
)

// Open connects to the database.
func Open(ctx context.Context, cfg Config) (*Side, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	conn, err := rmysql.DialScan(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	s := &Side{cfg: cfg, conn: conn, name: cfg.Name, tables: map[*compare.Table]*table{}}
	if s.name == "" {
		s.name = "mysql"
	}
	return s, nil
}

// Name returns Config.Name.
func (s *Side) Name() string { return s.name }

// Close closes the connections.
func (s *Side) Close() error { return s.conn.Close() }

// PushdownWith allows pushdown against another side of the same flavor
// and release series (MySQL 8.0 and 8.4, or two MariaDB majors, may print
// a value differently, and the digests hash values' text).
func (s *Side) PushdownWith(other compare.Side) error {
	o, ok := other.(*Side)
	switch {
	case !ok:
		return errors.New("the other side is not MySQL")
	case s.conn.Flavor() != o.conn.Flavor():
		return fmt.Errorf("the servers are %s and %s", s.conn.Flavor(), o.conn.Flavor())
	case series(s.conn.Version()) != series(o.conn.Version()):
		return fmt.Errorf("the servers are versions %s and %s: they may print values differently", s.conn.Version(), o.conn.Version())
	}
	return nil
}

// series is the major.minor of a VERSION() string ("10.11.6-MariaDB" → "10.11").
func series(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}
