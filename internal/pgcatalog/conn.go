package pgcatalog

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// ConnConfig parses dsn (any form pgx accepts; PGPASSWORD, ~/.pgpass and the
// other libpq variables apply) for a dbmig connection named app. The
// search_path is empty: definitions read from the catalog (format_type,
// pg_get_expr, pg_get_indexdef, pg_get_constraintdef) then come back
// schema-qualified, and statements built from them mean the same thing on
// the other side.
func ConnConfig(dsn, app string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["search_path"] = ""
	cfg.RuntimeParams["application_name"] = app
	return cfg, nil
}

// QuoteLiteral quotes s as an SQL string literal, for the few statements
// that take no parameters (SET TRANSACTION SNAPSHOT, DDL). It assumes
// standard_conforming_strings, on by default since PostgreSQL 9.1.
func QuoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
