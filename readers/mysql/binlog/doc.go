// Package binlog reads a MySQL or MariaDB row binlog as typed,
// transaction-grouped row changes: the change-capture half of
// readers/mysql (issue 4).
//
//	st, err := binlog.Open(ctx, binlog.Config{DSN: dsn, Start: pos, Tables: tables})
//	for {
//		tx, err := st.Next(ctx) // one source transaction (or progress)
//		… write tx.Changes, then record tx.Resume with them …
//	}
//
// Decisions, and why:
//
//   - Schema: every row is decoded by the TABLE_MAP event written just before
//     it, which with binlog_row_metadata=FULL carries column names, types,
//     signedness, charsets and enum/set labels. It describes the table as it
//     was when the row was written, so rows before and after an ALTER TABLE
//     decode correctly wherever the stream starts. The catalog
//     (information_schema) describes the table as it is now, so it is read
//     for one thing only: MariaDB's uuid, inet4 and inet6 columns, which the
//     binlog shows as binary(16)/binary(4); a catalog type is used only where
//     TABLE_MAP agrees (same name, that binary size), and is read again
//     after a DDL on the table. DDL statements (CREATE/ALTER/DROP/RENAME/
//     TRUNCATE TABLE) of captured tables are recorded in Transaction.DDL, and
//     Table.Version counts definitions per table, so a consumer keys its
//     Arrow builders on (database, table, version).
//   - Values: go-mysql's own row decoding boxes every value into an
//     interface (and formats times as strings); instead its header decoding
//     is kept and the row images are decoded here, straight into Values that
//     hold numbers inline and bytes in buffers reused from one transaction to
//     the next: no allocation per value. Column.ArrowType and AppendValue give
//     the Arrow mapping of docs/TYPES-MYSQL.md.
//   - Memory: a transaction bigger than Config.MaxTransactionBytes is handed
//     out in chunks with Committed false (Resume stays before the
//     transaction), then a last Committed chunk. Chunks, not spill: the
//     consumer applies chunks to its open target transaction as they come,
//     so nothing is held twice, and a crash resumes before the transaction.
//   - Positions: Resume is the position after the commit event (XID, or
//     COMMIT / the DDL itself for statements), with the GTID set executed up
//     to it, tracked here per commit (on MariaDB also when started from a
//     file position, via BINLOG_GTID_POS). A Start with a GTID set starts in
//     GTID mode. go-mysql's reconnect is off: it would resume inside a
//     transaction; the caller reopens from the last Resume instead.
//   - Progress: transactions without captured changes are not returned, but
//     Next returns a progress Transaction (no changes) on a heartbeat, or
//     when a heartbeat period passed with only other tables' traffic, so an
//     idle or unrelated-busy source still advances the checkpoint.
package binlog
