package mysql

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/format"
)

// Config says where and how to load a stream.
type Config struct {
	// DSN is a mysql:// (or mariadb://) URL, mysql://user[:password]@host[:port]/database[?driver-parameters],
	// or a go-sql-driver DSN (user:password@tcp(host:port)/database). Tables
	// are loaded into its database; without one, into the database the
	// stream names.
	DSN string
	// Password is used when the DSN has none (dbload passes $MYSQL_PWD).
	Password string
	// Create creates the stream's tables, with their primary keys; secondary
	// indexes, unique keys, checks and foreign keys follow the data. Without
	// it the tables must exist and rows are appended.
	Create bool
	// Parallel is the number of worker connections (default 2).
	Parallel int
	// Analyze runs ANALYZE TABLE on every loaded table at the end (with Create).
	Analyze bool

	Allocator memory.Allocator
	Logger    *slog.Logger
	// OnStream, if set, is called with the first segment's header, before
	// anything is loaded.
	OnStream func(h format.Header)
	// OnChunk is called after each chunk commits (or is found already
	// committed by an earlier run), from worker goroutines.
	OnChunk func(c ChunkDone)
	// OnCatalog, if set, is called with each catalog segment's objects
	// (views, triggers, routines): this writer does not create them. When
	// unset, Load logs each one as left for manual work.
	OnCatalog func(h format.Header)

	// stopAtChanges, if set, makes Load stop at the first change or
	// checkpoint segment and hand it over (Apply loads the snapshot part of
	// a change stream so).
	stopAtChanges func(*format.Segment)
}

// ChunkDone reports one chunk.
type ChunkDone struct {
	Table   string
	Chunk   string
	Rows    int64
	Bytes   int64 // Arrow bytes of the chunk's batches
	Skipped bool  // already loaded by an earlier run of the same stream
}

// Stats is the result of a load.
type Stats struct {
	Stream        string
	Tables        int
	Chunks        int
	ChunksSkipped int
	Rows          int64
	DataPhase     time.Duration // from the first segment to the last chunk committed
	PostData      time.Duration // indexes, unique keys, checks, foreign keys, analyze
}

func (cfg *Config) defaults() {
	if cfg.Parallel < 1 {
		cfg.Parallel = 2
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// sqlMode is strict, so a value the column cannot hold is an error rather
// than a truncation, but without NO_ZERO_DATE and NO_ZERO_IN_DATE, so the
// zero dates a MySQL source holds load back as they were.
// NO_AUTO_VALUE_ON_ZERO keeps a copied 0 in an auto_increment column a 0
// instead of drawing a new value.
const sqlMode = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO"

// driverConfig turns cfg.DSN into the driver's configuration, with the
// session every dbload connection runs in: UTC (TIMESTAMP values are sent
// as UTC wall-clock), utf8mb4, strict mode, and unique and foreign key
// checks off for the bulk load (keys are built after the data, from data
// that satisfied them at the source).
func (cfg *Config) driverConfig() (*mysql.Config, error) {
	dc, err := ParseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	if dc.Passwd == "" {
		dc.Passwd = cfg.Password
	}
	if dc.Params == nil {
		dc.Params = map[string]string{}
	}
	// The driver sends these as one SET after connecting; the values are
	// constants of this package, never user input.
	dc.Params["time_zone"] = "'+00:00'"
	dc.Params["sql_mode"] = "'" + sqlMode + "'"
	dc.Params["unique_checks"] = "0"
	dc.Params["foreign_key_checks"] = "0"
	// MariaDB's default (OFF) gives the first TIMESTAMP NOT NULL column an
	// implicit DEFAULT CURRENT_TIMESTAMP ON UPDATE, and stores the current time
	// for a NULL: declarations must mean what they say.
	dc.Params["explicit_defaults_for_timestamp"] = "1"
	dc.Collation = "utf8mb4_general_ci"
	dc.ParseTime = false
	dc.MultiStatements = false
	return dc, nil
}

// ParseDSN reads a mysql:// or mariadb:// URL or a go-sql-driver DSN.
// A URL's query holds driver parameters ("?tls=true").
func ParseDSN(s string) (*mysql.Config, error) {
	scheme, _, isURL := strings.Cut(s, "://")
	if !isURL {
		cfg, err := mysql.ParseDSN(s)
		if err != nil {
			return nil, fmt.Errorf("target DSN: %w", err)
		}
		return cfg, nil
	}
	if sc := strings.ToLower(scheme); sc != "mysql" && sc != "mariadb" {
		return nil, fmt.Errorf("target DSN: scheme %q is not mysql:// or mariadb://", scheme)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("target DSN: %w", err)
	}
	cfg, err := mysql.ParseDSN("/?" + u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("target DSN parameters: %w", err)
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
	// Round trip so the driver derives its TLS settings for this address.
	cfg.TLS = nil
	cfg, err = mysql.ParseDSN(cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("target DSN: %w", err)
	}
	return cfg, nil
}
