package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
)

// The `dbmig` database in the target records what a load has done, in the
// same transactions as the work itself, so that a rerun after any crash
// skips what is committed and redoes what is not:
//
//   - load_chunks: one row per committed chunk, inserted in the chunk's own
//     transaction before its LOAD DATA (its row lock also keeps two loaders
//     of one stream from loading a chunk twice). A chunk id can be long (a
//     key range of text keys), so the key holds its SHA-256.
//   - load_tables: tables this stream created, so a rerun with --create
//     reuses them instead of refusing a table that already exists.
var bookkeepingDDL = []string{
	"CREATE DATABASE IF NOT EXISTS `dbmig` CHARACTER SET utf8mb4",
	"CREATE TABLE IF NOT EXISTS `dbmig`.`load_chunks` (" +
		"`stream` varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL," +
		"`database_name` varchar(64) COLLATE utf8mb4_bin NOT NULL," +
		"`table_name` varchar(64) COLLATE utf8mb4_bin NOT NULL," +
		"`chunk_sha256` binary(32) NOT NULL," +
		"`chunk` text COLLATE utf8mb4_bin NOT NULL," +
		"`rows` bigint NOT NULL," +
		"`loaded_at` timestamp(6) NOT NULL DEFAULT current_timestamp(6)," +
		"PRIMARY KEY (`stream`, `database_name`, `table_name`, `chunk_sha256`)" +
		") ENGINE=InnoDB",
	"CREATE TABLE IF NOT EXISTS `dbmig`.`load_tables` (" +
		"`stream` varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL," +
		"`database_name` varchar(64) COLLATE utf8mb4_bin NOT NULL," +
		"`table_name` varchar(64) COLLATE utf8mb4_bin NOT NULL," +
		"`created_at` timestamp(6) NOT NULL DEFAULT current_timestamp(6)," +
		"PRIMARY KEY (`stream`, `database_name`, `table_name`)" +
		") ENGINE=InnoDB",
}

func ensureBookkeeping(ctx context.Context, conn *sql.Conn) error {
	for _, s := range bookkeepingDDL {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create the dbmig bookkeeping tables in the target: %w", err)
		}
	}
	return nil
}

type chunkKey struct{ database, table, chunk string }

func chunkHash(chunk string) []byte {
	h := sha256.Sum256([]byte(chunk))
	return h[:]
}

// loadedChunks returns the chunks of stream already committed.
func loadedChunks(ctx context.Context, conn *sql.Conn, stream string) (map[chunkKey]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT `database_name`, `table_name`, `chunk` FROM `dbmig`.`load_chunks` WHERE `stream` = ?", stream)
	if err != nil {
		return nil, fmt.Errorf("read loaded chunks: %w", err)
	}
	defer rows.Close()
	done := map[chunkKey]bool{}
	for rows.Next() {
		var k chunkKey
		if err := rows.Scan(&k.database, &k.table, &k.chunk); err != nil {
			return nil, fmt.Errorf("read loaded chunks: %w", err)
		}
		done[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read loaded chunks: %w", err)
	}
	return done, nil
}

// recordChunk inserts the chunk's bookkeeping row in tx. It reports false
// when the row exists: another loader of the stream committed the chunk.
func recordChunk(ctx context.Context, tx *sql.Tx, stream string, k chunkKey, rows int64) (bool, error) {
	res, err := tx.ExecContext(ctx, "INSERT IGNORE INTO `dbmig`.`load_chunks` (`stream`, `database_name`, `table_name`, `chunk_sha256`, `chunk`, `rows`) VALUES (?, ?, ?, ?, ?, ?)",
		stream, k.database, k.table, chunkHash(k.chunk), k.chunk, rows)
	if err != nil {
		return false, fmt.Errorf("record chunk: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// createdByStream reports whether this stream created the table.
func createdByStream(ctx context.Context, conn *sql.Conn, stream, database, table string) (bool, error) {
	var n int
	err := conn.QueryRowContext(ctx, "SELECT count(*) FROM `dbmig`.`load_tables` WHERE `stream` = ? AND `database_name` = ? AND `table_name` = ?", stream, database, table).Scan(&n)
	return n > 0, err
}
