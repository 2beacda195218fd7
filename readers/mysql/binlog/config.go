package binlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Flavors of binlog (and of GTID).
const (
	FlavorMariaDB = "mariadb"
	FlavorMySQL   = "mysql"
)

// Config says where to read a binlog from and what to keep.
type Config struct {
	// DSN is the source: a go-sql-driver DSN (user:pass@tcp(host:port)/) or a
	// mysql:// URL. The user needs REPLICATION SLAVE (BINLOG MONITOR on
	// MariaDB) and SELECT on information_schema.
	DSN string
	// Flavor is FlavorMariaDB or FlavorMySQL; empty detects it from the
	// server version.
	Flavor string
	// ServerID is the replica id to register with; each concurrent reader
	// of one source needs its own (the source drops the older connection of
	// a duplicate). Zero picks a random one.
	ServerID uint32
	// Start is the position to read from; the zero Position starts at the
	// source's current end.
	Start Position
	// Tables are the captured tables; none captures every table. A
	// TableName with an empty Name captures its whole database.
	Tables []TableName
	// HeartbeatPeriod is how often an idle source sends a heartbeat, so that
	// Next still reports progress (default 5s).
	HeartbeatPeriod time.Duration
	// MaxTransactionBytes bounds the memory held for one transaction
	// (default 64 MiB): a bigger one is returned in chunks whose Committed
	// is false, followed by a last, committed chunk.
	MaxTransactionBytes int64
	// Logger receives go-mysql's log and ours (default: discarded).
	Logger *slog.Logger
}

// TableName names a captured table (or, with an empty Name, a database).
type TableName struct {
	Database string
	Name     string
}

// Position is a binlog position: a file and offset, and, where known, the
// GTID set executed up to it. Open starts from GTIDSet when it is set, else
// from File and Pos.
type Position struct {
	File    string
	Pos     uint32
	GTIDSet string // MariaDB "0-1-42,1-2-7"; MySQL "uuid:1-42"
}

// String is "file:pos" (and " gtid SET" when known), for messages.
func (p Position) String() string {
	s := p.File + ":" + strconv.FormatUint(uint64(p.Pos), 10)
	if p.GTIDSet != "" {
		s += " gtid " + p.GTIDSet
	}
	return s
}

func (c *Config) withDefaults() {
	if c.ServerID == 0 {
		// Away from the small ids people give real servers.
		c.ServerID = 1<<30 + rand.Uint32N(1<<30)
	}
	if c.HeartbeatPeriod <= 0 {
		c.HeartbeatPeriod = 5 * time.Second
	}
	if c.MaxTransactionBytes <= 0 {
		c.MaxTransactionBytes = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// captures says whether changes of db.table are kept. It runs on go-mysql's
// reading goroutine too: it only reads the immutable Config.
func (c *Config) captures(db, table string) bool {
	if len(c.Tables) == 0 {
		return true
	}
	for _, t := range c.Tables {
		if t.Database == db && (t.Name == "" || t.Name == table) {
			return true
		}
	}
	return false
}

// parseDSN reads a go-sql-driver DSN or a mysql:// URL.
func parseDSN(s string) (*mysql.Config, error) {
	if !strings.HasPrefix(s, "mysql://") && !strings.HasPrefix(s, "mariadb://") {
		cfg, err := mysql.ParseDSN(s)
		if err != nil {
			return nil, fmt.Errorf("binlog: bad DSN: %w", err)
		}
		return cfg, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("binlog: bad URL: %w", err)
	}
	cfg, err := mysql.ParseDSN("/?" + u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("binlog: bad URL parameters: %w", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3306"
	}
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	return cfg, nil
}

// openDB opens a pool to the source for catalog queries, with UTC session
// time (no value is read through it, but BINLOG_GTID_POS and friends are
// session-independent anyway).
func openDB(cfg *mysql.Config) (*sql.DB, error) {
	cfg = cfg.Clone()
	cfg.DBName = ""
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("binlog: %w", err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(2)
	return db, nil
}

// detectFlavor reads the server version.
func detectFlavor(ctx context.Context, db *sql.DB) (string, error) {
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return "", fmt.Errorf("binlog: read server version: %w", err)
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return FlavorMariaDB, nil
	}
	return FlavorMySQL, nil
}

// checkServer refuses a source whose binlog cannot be decoded exactly.
func checkServer(ctx context.Context, db *sql.DB) error {
	want := map[string]string{"log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL", "binlog_row_metadata": "FULL"}
	var errs []error
	for _, name := range []string{"log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata"} {
		var v string
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&v); err != nil {
			return fmt.Errorf("binlog: read @@%s: %w", name, err)
		}
		if !strings.EqualFold(v, want[name]) && !(name == "log_bin" && v == "1") {
			errs = append(errs, fmt.Errorf("@@%s is %s, change capture needs %s", name, v, want[name]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("binlog: source not usable: %w", err)
	}
	return nil
}

// ServerPosition returns the source's current end of binlog, with the GTID
// set executed up to it.
func ServerPosition(ctx context.Context, dsn string) (Position, error) {
	cfg, err := parseDSN(dsn)
	if err != nil {
		return Position{}, err
	}
	db, err := openDB(cfg)
	if err != nil {
		return Position{}, err
	}
	defer db.Close()
	flavor, err := detectFlavor(ctx, db)
	if err != nil {
		return Position{}, err
	}
	return serverPosition(ctx, db, flavor)
}

func serverPosition(ctx context.Context, db *sql.DB, flavor string) (Position, error) {
	rows, err := db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return Position{}, fmt.Errorf("binlog: SHOW MASTER STATUS: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Position{}, fmt.Errorf("binlog: SHOW MASTER STATUS: %w", err)
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Position{}, fmt.Errorf("binlog: SHOW MASTER STATUS: %w", err)
		}
		return Position{}, errors.New("binlog: SHOW MASTER STATUS is empty: the source has no binary log")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return Position{}, fmt.Errorf("binlog: SHOW MASTER STATUS: %w", err)
	}
	rows.Close()
	pos, err := strconv.ParseUint(vals[1].String, 10, 32)
	if err != nil {
		return Position{}, fmt.Errorf("binlog: SHOW MASTER STATUS position %q: %w", vals[1].String, err)
	}
	p := Position{File: vals[0].String, Pos: uint32(pos)}
	if flavor == FlavorMySQL {
		if len(vals) > 4 {
			p.GTIDSet = strings.ReplaceAll(vals[4].String, "\n", "")
		}
		return p, nil
	}
	p.GTIDSet, err = mariadbGTIDAt(ctx, db, p.File, p.Pos)
	return p, err
}

// mariadbGTIDAt asks a MariaDB source for the GTID state at file:pos, so a
// stream started from a file position can still report GTID sets.
func mariadbGTIDAt(ctx context.Context, db *sql.DB, file string, pos uint32) (string, error) {
	var s sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", file, pos).Scan(&s); err != nil {
		return "", fmt.Errorf("binlog: BINLOG_GTID_POS(%s, %d): %w", file, pos, err)
	}
	return s.String, nil
}

// quoteIdent quotes a MySQL identifier.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
