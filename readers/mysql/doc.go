// Package mysql reads MySQL and MariaDB databases into a dbmig stream: one
// consistent snapshot of the selected tables, read by several connections at
// once and tied to one binlog position (and GTID set), so that change capture
// can start exactly where the copy ends.
//
// Column types map to Arrow as docs/TYPES-MYSQL.md says. Rows are read with
// the text protocol (go-mysql's streaming client, which hands each row over
// as byte slices and parses integers in place) and parsed straight into Arrow
// builders.
package mysql
