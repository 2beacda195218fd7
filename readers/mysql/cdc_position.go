package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/readers/mysql/binlog"
)

// Change streams compare positions as int64 (format.ChangeCommitLSN) and
// targets record them as PostgreSQL-style "X/Y" LSNs. A binlog position maps
// onto that as the binlog file's sequence number (the digits after the last
// dot of "binlog.000042") in the high 32 bits and the byte offset in the low
// 32 bits: files only grow and the server numbers new files upwards, so the
// mapping is monotonic within one server's binlog, and "X/Y" reads as
// "file number/offset" in hex. It is not comparable across servers (after a
// failover the GTID set in the checkpoint's Position is what still holds).

// BinlogLSN maps a binlog file and offset to a change-stream position.
func BinlogLSN(file string, pos uint32) (uint64, error) {
	seq, err := binlogSeq(file)
	if err != nil {
		return 0, err
	}
	return seq<<32 | uint64(pos), nil
}

func binlogSeq(file string) (uint64, error) {
	i := strings.LastIndexByte(file, '.')
	seq, err := strconv.ParseUint(file[i+1:], 10, 32)
	if i < 0 || err != nil {
		return 0, fmt.Errorf("binlog file name %q does not end in a sequence number", file)
	}
	return seq, nil
}

// ParseUntil reads a --until fence: "file:pos" (as SHOW MASTER STATUS
// prints it) or "X/Y" (a change-stream position).
func ParseUntil(s string) (uint64, error) {
	if file, pos, ok := strings.Cut(s, ":"); ok {
		p, err := strconv.ParseUint(pos, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q: bad offset: %w", s, err)
		}
		return BinlogLSN(file, uint32(p))
	}
	return format.ParseLSN(s)
}

// checkpointPosition is the Position map of a checkpoint at p: the "lsn"
// targets compare and record, and the whole binlog position for people and
// for a resume by GTID.
func checkpointPosition(p binlog.Position, flavor string) (format.Position, uint64, error) {
	lsn, err := BinlogLSN(p.File, p.Pos)
	if err != nil {
		return nil, 0, err
	}
	pos := format.Position{"lsn": format.FormatLSN(lsn), "file": p.File, "pos": strconv.FormatUint(uint64(p.Pos), 10), "flavor": flavor}
	if p.GTIDSet != "" {
		pos["gtid"] = p.GTIDSet
	}
	return pos, lsn, nil
}

// positionOfLSN finds the binlog file whose sequence number is lsn's high
// half (the target recorded only the LSN).
func positionOfLSN(ctx context.Context, conn *sql.Conn, lsn uint64) (binlog.Position, error) {
	rows, err := conn.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return binlog.Position{}, fmt.Errorf("list binary logs: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return binlog.Position{}, err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var first string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return binlog.Position{}, fmt.Errorf("list binary logs: %w", err)
		}
		name := string(vals[0])
		if first == "" {
			first = name
		}
		if seq, err := binlogSeq(name); err == nil && seq == lsn>>32 {
			return binlog.Position{File: name, Pos: uint32(lsn)}, nil
		}
	}
	if err := rows.Err(); err != nil {
		return binlog.Position{}, fmt.Errorf("list binary logs: %w", err)
	}
	return binlog.Position{}, fmt.Errorf("position %s: the source no longer has binlog file number %d (oldest: %s): the changes after it are lost; start over with --snapshot",
		format.FormatLSN(lsn), lsn>>32, first)
}
