// Dbextract reads tables of a database in one consistent snapshot and writes
// them to stdout as a dbmig stream: Arrow IPC segments, one per table or key
// range, compressed with zstd by default (see the format package).
//
// Usage:
//
//	dbextract [flags] SOURCE_DSN
//
// SOURCE_DSN is a postgres:// or postgresql:// URL, or a key=value string
// ("host=db1 dbname=shop user=app"), or a mysql:// URL for MySQL and MariaDB
// (mysql://user@host:port/database?tls=true). Put the password in PGPASSWORD
// or ~/.pgpass (MYSQL_PWD for MySQL) rather than on the command line; wherever a DSN is shown, its
// password is masked. Flags may come before or after SOURCE_DSN.
//
// Examples:
//
//	$ dbextract postgres://app@db1/shop > shop.arrows
//	$ dbextract --tables 'public.orders,public.order_items' --parallel 4 postgres://app@db1/shop | dbload --create postgres://app@db2/shop
//	$ dbextract postgres://app@db1/shop --compression lz4 | dbload postgres://app@db2/shop --create
//	$ dbextract -o shop.arrows --exclude 'audit.*' postgres://app@db1/shop
//	$ MYSQL_PWD=... dbextract mysql://app@db1:3306/shop > shop.arrows
//
// dbextract refuses to write the stream to a terminal (use --force). With
// -o FILE the stream goes to a temporary file beside FILE that is renamed to
// FILE only when the stream is complete; on failure it is removed.
//
// Exit status: 0 done, 1 failed, 2 usage error, 141 the command reading the
// stream closed the pipe early ("dbextract: downstream closed the pipe"),
// 130 interrupted. See internal/command.
package main
