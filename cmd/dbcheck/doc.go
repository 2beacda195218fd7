// Dbcheck compares two databases, a database and a dbmig stream, or two
// streams, table by table, and reports the rows that differ: missing (in A
// only), extra (in B only) or changed (with the columns and both values),
// plus row counts and schema differences.
//
// Usage:
//
//	dbcheck [flags] A B
//
// A and B are each a postgres:// URL or key=value DSN, a mysql:// or
// mariadb:// URL (the password from MYSQL_PWD when the URL has none), a
// stream file (*.arrows, as dbextract writes), or "-" for a stream on stdin.
//
// Examples:
//
//	$ dbcheck postgres://app@db1/shop postgres://app@db2/shop
//	$ dbcheck --json --tables 'public.orders' postgres://app@db1/shop postgres://app@db2/shop
//	$ dbextract postgres://app@db1/shop | dbcheck postgres://app@db2/shop -
//	$ dbcheck snap-monday.arrows snap-tuesday.arrows
//	$ MYSQL_PWD=... dbcheck mysql://app@old/shop postgres://app@new/shop
//	$ dbcheck --live 30s --max-rows-per-sec 200000 postgres://prod/shop postgres://replica/shop
//
// Both sides cut each table into the same primary-key ranges, compare an
// order-independent digest of each range, split only the ranges that differ
// and compare their rows one by one (docs/CHECKSUM.md). Between two
// PostgreSQL servers of one major version (14 or later), or two MySQL or
// MariaDB servers of one release series, the digests are computed in the
// servers (--mode=pushdown); otherwise rows are streamed from both sides at
// once and hashed here (--mode=stream), where a MySQL value equals its
// PostgreSQL conversion (docs/CONVERT.md).
//
// The report goes to stdout: a table of differences and one summary line per
// table, or with --json one JSON document.
//
// Exit status, as diff(1): 0 equal, 1 differences found, 2 trouble (a bad
// argument, a connection or query failure); 130 interrupted.
package main
