// Package postgres is the PostgreSQL side of a comparison (checksum/compare):
// it lists tables from the catalog, scans key ranges as Arrow batches
// (binary COPY, or binary query results, decoded by internal/pgcodec), samples
// keys with TABLESAMPLE, and computes range digests inside the server
// (pushdown) with hash_record_extended, so that rows do not cross the wire
// when both sides are PostgreSQL. See docs/CHECKSUM.md.
package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/jackc/pgx/v5"

	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/internal/bufpool"
	"github.com/dbmig/dbmig/internal/pgcatalog"
)

// Config says which database to read and how.
type Config struct {
	// DSN is a PostgreSQL connection string in any form pgx accepts.
	DSN string
	// Where, when set, is an SQL condition that selects the rows to compare
	// (the same text is applied to both sides of a comparison).
	Where string
	// Name describes the side in messages; give the DSN with its password
	// masked (default "postgres").
	Name   string
	Logger *slog.Logger
}

// Side is a PostgreSQL database as one side of a comparison. It holds one
// connection: it is not safe for concurrent use (compare uses each side
// from one goroutine).
type Side struct {
	cfg     Config
	conn    *pgx.Conn
	version int // server_version_num
	name    string
	tables  map[*compare.Table]*table
	mem     *bufpool.Allocator
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
	cc, err := pgcatalog.ConnConfig(cfg.DSN, "dbcheck")
	if err != nil {
		return nil, fmt.Errorf("DSN: %w", err)
	}
	// pgx reads the socket 8 KiB at a time: a scan of gigabytes would be
	// hundreds of thousands of read calls. Read through a larger buffer.
	dial := cc.DialFunc
	cc.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, 256<<10)}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	s := &Side{cfg: cfg, conn: conn, tables: map[*compare.Table]*table{}, mem: &bufpool.Allocator{},
		name: cfg.Name}
	if s.name == "" {
		s.name = "postgres"
	}
	var enc string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_encoding')`).Scan(&s.version, &enc); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("read server settings: %w", err)
	}
	if enc != "UTF8" {
		conn.Close(context.WithoutCancel(ctx))
		// Binary results carry text in the server encoding, unconverted.
		return nil, fmt.Errorf("database encoding is %s: only UTF8 databases are supported", enc)
	}
	return s, nil
}

// Name returns Config.Name.
func (s *Side) Name() string { return s.name }

// Close closes the connection.
func (s *Side) Close() error {
	return s.conn.Close(context.Background())
}

// PushdownWith allows pushdown against another PostgreSQL side of the same
// major version, 14 or later: hash_record_extended appeared in 14, and the
// hash functions of the two servers must be the same ones.
func (s *Side) PushdownWith(other compare.Side) error {
	o, ok := other.(*Side)
	switch {
	case !ok:
		return errors.New("the other side is not PostgreSQL")
	case s.version < 140000 || o.version < 140000:
		return fmt.Errorf("pushdown needs PostgreSQL 14 or later (servers are %d and %d)", s.version/10000, o.version/10000)
	case s.version/10000 != o.version/10000:
		return fmt.Errorf("the servers are PostgreSQL %d and %d: their hash functions may differ", s.version/10000, o.version/10000)
	}
	return nil
}

// OnThisHost reports whether the server is reached over loopback or a Unix
// socket (compare.Local).
func (s *Side) OnThisHost() bool {
	switch a := s.conn.PgConn().Conn().RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

// bufferedConn reads a connection through a buffer.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
