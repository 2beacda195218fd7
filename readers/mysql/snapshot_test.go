package mysql

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbmig/dbmig/internal/testdb"
)

func TestChunking(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, "SET SESSION max_recursive_iterations = 1000000", "CREATE TABLE big (id bigint unsigned PRIMARY KEY, pad varchar(200))",
		`INSERT INTO big WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000)
		 SELECT n * 1000, REPEAT('x', 150) FROM s`,
		"INSERT INTO big VALUES (0, 'min'), (18446744073709551615, 'max')",
		"CREATE TABLE nokey (v int)", "INSERT INTO nokey VALUES (1), (2)",
		"ANALYZE TABLE big")
	segs, st := extract(t, Config{DSN: db.URL, ChunkBytes: 128 << 10, Parallel: 3, BatchRows: 1000})
	ts := tableSegments(segs, "big")
	if len(ts) < 3 {
		t.Fatalf("%d chunks of big", len(ts))
	}
	seen := map[string]int{}
	for i, s := range ts {
		if s.header.Chunk.Index != i || s.header.Chunk.Count != len(ts) || !strings.HasPrefix(s.header.Chunk.ID, "pk:[") {
			t.Errorf("chunk %d: %+v", i, s.header.Chunk)
		}
		for _, r := range s.rows {
			seen[r[0].text]++
		}
	}
	if len(seen) != 5002 || seen["0"] != 1 || seen["18446744073709551615"] != 1 {
		t.Errorf("%d distinct keys (min %d, max %d)", len(seen), seen["0"], seen["18446744073709551615"])
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("key %s read %d times", k, n)
		}
	}
	if n := tableSegments(segs, "nokey"); len(n) != 1 || n[0].header.Chunk.ID != "all" || len(n[0].rows) != 2 {
		t.Errorf("nokey: %+v", n)
	}
	if st.Rows != 5004 {
		t.Errorf("%d rows", st.Rows)
	}
	// The same table and snapshot give the same chunk IDs.
	segs2, _ := extract(t, Config{DSN: db.URL, ChunkBytes: 128 << 10, Parallel: 2, Tables: []string{"big"}})
	for i, s := range tableSegments(segs2, "big") {
		if s.header.Chunk.ID != ts[i].header.Chunk.ID {
			t.Errorf("chunk %d: %s, then %s", i, ts[i].header.Chunk.ID, s.header.Chunk.ID)
		}
	}
}

// TestSnapshotConsistency: while a writer commits transactions that each
// insert one row into each of two big tables, a parallel extract yields the
// same key set in both tables, and the first transaction after the recorded
// binlog position inserts the first row missing from the copy.
func TestSnapshotConsistency(t *testing.T) {
	binlogTool, err := exec.LookPath("mariadb-binlog")
	if err != nil {
		if binlogTool, err = exec.LookPath("mysqlbinlog"); err != nil {
			t.Skip("no mariadb-binlog or mysqlbinlog to read the binlog with")
		}
	}
	for _, method := range []string{"auto", MethodLock} {
		t.Run(method, func(t *testing.T) {
			db := testdb.MySQL(t)
			const preload = 20000
			for _, tb := range []string{"a", "b"} {
				db.Exec(t, "SET SESSION max_recursive_iterations = 1000000", fmt.Sprintf("CREATE TABLE %s (id bigint AUTO_INCREMENT PRIMARY KEY, seq int NOT NULL, pad char(100) NOT NULL DEFAULT 'p')", tb),
					fmt.Sprintf(`INSERT INTO %s (seq) WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < %d) SELECT n FROM s`, tb, preload-1),
					"ANALYZE TABLE "+tb)
			}
			// The writer: one transaction per seq, one row in each table.
			conn := rawConn(t, db)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var committed atomic.Int64
			var werr error
			wg.Go(func() {
				for seq := preload; ctx.Err() == nil; seq++ {
					tx, err := conn.BeginTx(ctx, nil)
					if err == nil {
						_, err = tx.ExecContext(ctx, "INSERT INTO a (seq) VALUES (?)", seq)
					}
					if err == nil {
						_, err = tx.ExecContext(ctx, "INSERT INTO b (seq) VALUES (?)", seq)
					}
					if err == nil {
						err = tx.Commit()
					} else if tx != nil {
						_ = tx.Rollback()
					}
					if err != nil {
						if ctx.Err() == nil {
							werr = err
						}
						return
					}
					committed.Store(int64(seq))
				}
			})
			for committed.Load() < preload+200 {
				time.Sleep(5 * time.Millisecond)
			}
			segs, st := extract(t, Config{DSN: db.URL, Parallel: 4, ChunkBytes: 256 << 10, SnapshotMethod: method})
			for committed.Load() < st.Rows/2+200 { // let some commits follow the snapshot
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			wg.Wait()
			if werr != nil {
				t.Fatalf("writer: %v", werr)
			}
			t.Logf("snapshot %v, lock held %v, %d rows", st.Position, st.LockHeld, st.Rows)
			if method == MethodLock && st.Position["method"] != MethodLock {
				t.Errorf("method %q", st.Position["method"])
			}

			keys := func(table string) []int {
				ts := tableSegments(segs, table)
				if len(ts) < 2 {
					t.Errorf("%s: %d chunks, want several", table, len(ts))
				}
				var out []int
				for _, s := range ts {
					for _, r := range s.rows {
						n, _ := strconv.Atoi(r[1].text)
						out = append(out, n)
					}
				}
				sort.Ints(out)
				return out
			}
			ka, kb := keys("a"), keys("b")
			if len(ka) != len(kb) {
				t.Fatalf("a has %d rows, b %d", len(ka), len(kb))
			}
			for i := range ka {
				if ka[i] != i || kb[i] != i {
					t.Fatalf("row %d: a has seq %d, b %d (want %d in both: every seq exactly once)", i, ka[i], kb[i], i)
				}
			}
			firstMissing := len(ka)
			if firstMissing <= preload {
				t.Fatalf("the copy has no row of the writer (%d rows)", firstMissing)
			}

			// The binlog after the position starts with the transaction of
			// firstMissing.
			out, err := exec.Command(binlogTool, "--read-from-remote-server", "--host="+db.Host, "--port="+strconv.Itoa(db.Port),
				"--user=root", "--start-position="+st.Position["pos"], "--base64-output=decode-rows", "--verbose",
				st.Position["file"]).Output()
			if err != nil {
				t.Fatalf("%s: %v", binlogTool, err)
			}
			re := regexp.MustCompile("### INSERT INTO `" + regexp.QuoteMeta(db.Database) + "`.`a`\n### SET\n###   @1=\\d+\n###   @2=(\\d+)")
			m := re.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no insert into a after %s:%s", st.Position["file"], st.Position["pos"])
			}
			if got, _ := strconv.Atoi(string(m[1])); got != firstMissing {
				t.Errorf("first insert after the position has seq %d; the copy's first missing seq is %d", got, firstMissing)
			}
		})
	}
}
