// Dbload reads a dbmig stream from stdin (or a file) and loads it into a
// database: tables created on request, rows copied in parallel, keys,
// indexes and constraints built after the data.
//
// Usage:
//
//	dbload [flags] TARGET_DSN < stream
//
// TARGET_DSN is a postgres:// or postgresql:// URL, or a key=value string.
// Put the password in PGPASSWORD or ~/.pgpass rather than on the command
// line; wherever a DSN is shown, its password is masked. Flags may come
// before or after TARGET_DSN.
//
// Examples:
//
//	$ dbload --create postgres://app@db2/shop < shop.arrows
//	$ dbextract --tables 'public.orders,public.order_items' --parallel 4 postgres://app@db1/shop | dbload --create postgres://app@db2/shop
//	$ dbextract postgres://app@db1/shop --compression lz4 | dbload postgres://app@db2/shop --create
//	$ dbload -i shop.arrows --parallel 4 --maintenance-work-mem 1GB postgres://app@db2/shop --create
//
// A stream is checked as it is read: every segment's row count and digest,
// and the trailer that says the stream is complete. A damaged or truncated
// stream stops the load with an error naming the segment and byte offset.
// Chunks already committed by an earlier run of the same stream are
// skipped, so a failed load can be rerun with the same input.
//
// Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted. See
// internal/command.
package main
