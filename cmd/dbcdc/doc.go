// Command dbcdc streams the changes of a PostgreSQL database as a dbmig
// change stream on stdout, optionally after a consistent snapshot taken at
// the exact start of the changes:
//
//	dbcdc --snapshot --slot s --ack-from postgres://app@db2/shop postgres://app@db1/shop | dbload --apply --create postgres://app@db2/shop
//	dbcdc --slot s --ack-from postgres://app@db2/shop postgres://app@db1/shop | dbload --apply postgres://app@db2/shop
//
// It runs until stopped (SIGINT/SIGTERM: the complete transactions are
// written, then the trailer) or until the --until fence. See docs/CDC.md.
package main
