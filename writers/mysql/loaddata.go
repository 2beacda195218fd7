package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// readerSeq names each LOAD DATA's reader uniquely: the driver's registry
// is process-wide.
var readerSeq atomic.Int64

// loadData streams j's rows into its table with LOAD DATA LOCAL INFILE,
// inside tx, and checks that every row arrived as it was sent.
func (l *loader) loadData(ctx context.Context, tx *sql.Tx, j *job) error {
	rr := newRowReader(j.t.load, j.batches)
	name := "dbmig-" + strconv.FormatInt(readerSeq.Add(1), 10)
	mysql.RegisterReaderHandler(name, func() io.Reader { return rr })
	defer mysql.DeregisterReaderHandler(name)

	res, err := tx.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+j.t.sql)
	if err != nil {
		var ve *valueError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w%s", err, j.keyOf(ve.row))
		}
		if isLocalInfileRefused(err) {
			return fmt.Errorf("%w (the server must allow LOAD DATA LOCAL INFILE: set local_infile=1)", err)
		}
		return err
	}
	// LOAD DATA LOCAL cannot stop the client mid-file, so the server may
	// turn a bad value or a duplicate key into a warning and go on, even in
	// strict mode: any warning fails the chunk (and rolls it back).
	if err := l.warnings(ctx, tx, j); err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != j.rows {
		return fmt.Errorf("LOAD DATA stored %d rows of the chunk's %d (duplicate keys?)", n, j.rows)
	}
	return nil
}

var atRow = regexp.MustCompile(`at row (\d+)`)

// warnings returns an error listing LOAD DATA's warnings, if it left any,
// each with the key of the row it names.
func (l *loader) warnings(ctx context.Context, tx *sql.Tx, j *job) error {
	rows, err := tx.QueryContext(ctx, "SHOW WARNINGS LIMIT 5")
	if err != nil {
		return fmt.Errorf("read LOAD DATA warnings: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return fmt.Errorf("read LOAD DATA warnings: %w", err)
		}
		if level == "Note" {
			continue
		}
		if m := atRow.FindStringSubmatch(msg); m != nil {
			if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				msg += j.keyOf(n)
			}
		}
		msgs = append(msgs, fmt.Sprintf("%s %d: %s", level, code, msg))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read LOAD DATA warnings: %w", err)
	}
	if len(msgs) > 0 {
		return fmt.Errorf("LOAD DATA reported: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// keyOf describes row n (1-based in the chunk) by its primary key, for
// messages: " (key id=7)", or "" when the table has none.
func (j *job) keyOf(n int64) string {
	var key []string
	for _, b := range j.batches {
		if n > b.NumRows() {
			n -= b.NumRows()
			continue
		}
		for i, c := range j.t.cols {
			if c.PKOrdinal > 0 {
				key = append(key, c.Name+"="+b.Column(i).ValueStr(int(n-1)))
			}
		}
		break
	}
	if len(key) == 0 {
		return ""
	}
	return " (key " + strings.Join(key, ", ") + ")"
}

func isLocalInfileRefused(err error) bool {
	var me *mysql.MySQLError
	// 1148: "The used command is not allowed with this MySQL version";
	// 3948: "Loading local data is disabled".
	return errors.As(err, &me) && (me.Number == 1148 || me.Number == 3948)
}
