// Package mysql loads a dbmig stream into MySQL or MariaDB.
//
// Rows travel with LOAD DATA LOCAL INFILE from an io.Reader registered with
// the driver (no temporary files): Arrow batches are encoded straight into
// LOAD DATA's text format as the server pulls them. Each chunk (segment)
// loads in one transaction together with its row in `dbmig`.`load_chunks`,
// so a rerun of the same stream skips committed chunks and redoes the rest.
// With Config.Create, tables are created first (with their primary key, so
// InnoDB appends rows in key order) and secondary indexes, unique keys,
// checks and foreign keys are added once the whole stream has loaded.
//
// The value rules are those of docs/TYPES-MYSQL.md ("Loading").
package mysql
