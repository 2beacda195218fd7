package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	driver "github.com/go-sql-driver/mysql"
)

// Server flavors, as recorded in the position's "flavor" key.
const (
	FlavorMySQL   = "mysql"
	FlavorMariaDB = "mariadb"
)

// sessionSQL sets up every session the same way, so that values come back
// unchanged: UTC for TIMESTAMP (no shift), no sql_mode (PAD_CHAR_TO_FULL_LENGTH
// or ANSI_QUOTES would change what is read or how it is quoted), and long
// network timeouts (a worker whose downstream is slow stops reading, and the
// server must not drop it).
var sessionSQL = []string{
	"SET NAMES utf8mb4",
	"SET time_zone = '+00:00', sql_mode = '', net_write_timeout = 3600, net_read_timeout = 3600",
}

// ParseDSN reads a mysql:// or mariadb:// URL or a go-sql-driver DSN into a
// driver config. A URL without a password takes MYSQL_PWD's.
func ParseDSN(s string) (*driver.Config, error) {
	var cfg *driver.Config
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "mysql://") && !strings.HasPrefix(lower, "mariadb://") {
		c, err := driver.ParseDSN(s)
		if err != nil {
			return nil, fmt.Errorf("source DSN: %w", err)
		}
		cfg = c
	} else {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("source URL: %w", err)
		}
		// The query holds driver parameters (tls=..., timeout=...): let the
		// driver parse and check them.
		c, err := driver.ParseDSN("/?" + u.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("source URL parameters: %w", err)
		}
		c.User = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			c.Passwd = pw
		}
		host, port := u.Hostname(), u.Port()
		if host == "" {
			host = "127.0.0.1"
		}
		if port == "" {
			port = "3306"
		}
		c.Net, c.Addr = "tcp", net.JoinHostPort(host, port)
		c.DBName = strings.TrimPrefix(u.Path, "/")
		// Round trip so that the driver derives the TLS config for this address.
		if cfg, err = driver.ParseDSN(c.FormatDSN()); err != nil {
			return nil, fmt.Errorf("source URL: %w", err)
		}
	}
	if cfg.Passwd == "" {
		cfg.Passwd = os.Getenv("MYSQL_PWD")
	}
	if cfg.DBName == "" {
		return nil, errors.New("source DSN names no database (mysql://user@host:port/DATABASE)")
	}
	return cfg, nil
}

// openCoordinator opens the connection that reads the catalog and holds the
// snapshot lock, and says which flavor the server is.
func openCoordinator(ctx context.Context, cfg *driver.Config) (*sql.DB, *sql.Conn, string, error) {
	c := cfg.Clone()
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["time_zone"] = "'+00:00'"
	c.Params["sql_mode"] = "''"
	connector, err := driver.NewConnector(c)
	if err != nil {
		return nil, nil, "", fmt.Errorf("source DSN: %w", err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, nil, "", fmt.Errorf("connect to source: %w", err)
	}
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		conn.Close()
		db.Close()
		return nil, nil, "", fmt.Errorf("read server version: %w", err)
	}
	flavor := FlavorMySQL
	if strings.Contains(strings.ToLower(version), "mariadb") {
		flavor = FlavorMariaDB
	} else {
		// MySQL 8 caches information_schema.TABLES statistics (AUTO_INCREMENT
		// included) for a day by default: read them live.
		if _, err := conn.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0"); err != nil {
			conn.Close()
			db.Close()
			return nil, nil, "", fmt.Errorf("set up session: %w", err)
		}
	}
	return db, conn, flavor, nil
}

// dialWorker opens a data connection with go-mysql's client, whose streaming
// reads hand over each row's values as byte slices without allocating.
func dialWorker(ctx context.Context, cfg *driver.Config) (*client.Conn, error) {
	tlsOpt := func(c *client.Conn) error {
		if cfg.TLS != nil {
			c.SetTLSConfig(cfg.TLS)
		}
		return nil
	}
	conn, err := client.ConnectWithContext(ctx, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName, 30*time.Second, tlsOpt)
	if err != nil {
		return nil, fmt.Errorf("connect to source: %w", err)
	}
	for _, q := range sessionSQL {
		if err := execCtx(ctx, conn, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("set up session: %w", err)
		}
	}
	return conn, nil
}

// interruptOnCancel makes a blocked read or write on conn return when ctx
// is cancelled (go-mysql's client takes no context). Call the returned
// function when the operation is over.
func interruptOnCancel(ctx context.Context, conn *client.Conn) func() bool {
	return context.AfterFunc(ctx, func() {
		_ = conn.SetDeadline(time.Unix(1, 0))
	})
}

// execCtx runs a statement on a go-mysql connection, honouring ctx.
func execCtx(ctx context.Context, conn *client.Conn, q string) error {
	stop := interruptOnCancel(ctx, conn)
	defer stop()
	_, err := conn.Execute(q)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// queryStrings runs a query on a go-mysql connection and returns its rows as
// strings (NULL as "").
func queryStrings(ctx context.Context, conn *client.Conn, q string) ([][]string, error) {
	stop := interruptOnCancel(ctx, conn)
	defer stop()
	res, err := conn.Execute(q)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	defer res.Close()
	out := make([][]string, len(res.Values))
	for i, row := range res.Values {
		out[i] = make([]string, len(row))
		for j := range row {
			out[i][j] = textOf(&row[j])
		}
	}
	return out, nil
}

// textOf returns a value as the server wrote it ("" for NULL).
func textOf(v *mysql.FieldValue) string {
	switch v.Type {
	case mysql.FieldValueTypeNull:
		return ""
	case mysql.FieldValueTypeString:
		return string(v.AsString())
	}
	return v.String() // numbers: formatted as the server did
}
