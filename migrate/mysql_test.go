package migrate_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/migrate"
)

// TestMariaDBLive migrates a MariaDB database into PostgreSQL while a
// writer changes it, then cuts over and validates.
func TestMariaDBLive(t *testing.T) {
	src, dst := testdb.MySQL(t), testdb.Postgres(t)
	src.Exec(t, "CREATE TABLE items (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, v int NOT NULL, note varchar(100))",
		"INSERT INTO items (v, note) SELECT seq, CONCAT('row ', seq) FROM seq_1_to_20000")
	st, err := migrate.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := migrate.Options{State: st, Endpoints: migrate.Endpoints{Source: src.URL, Target: dst.DSN}, Slot: "mig", Logger: testLogger(t)}
	db, err := sql.Open("mysql", src.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				writerDone <- nil
				return
			default:
			}
			q := fmt.Sprintf("INSERT INTO items (v, note) VALUES (%d, 'live')", i)
			if i%3 == 1 {
				q = fmt.Sprintf("UPDATE items SET v = -v WHERE id = %d", 1+(i*37)%20000)
			} else if i%3 == 2 {
				q = fmt.Sprintf("DELETE FROM items WHERE id = %d", 10000+(i*13)%10000)
			}
			if _, err := db.Exec(q); err != nil {
				writerDone <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- migrate.Migrate(ctx, o) }()
	alive := func() error {
		select {
		case err := <-done:
			return fmt.Errorf("migrate returned: %v", err)
		default:
			return nil
		}
	}
	p := waitPhase(t, st, migrate.PhaseStreaming, 30*time.Second, alive)
	t.Logf("snapshot copied in %s: %d rows", time.Since(start).Round(time.Millisecond), p.Rows)
	time.Sleep(time.Second)
	close(stop)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	res, err := migrate.Cutover(ctx, migrate.CutoverOptions{Options: migrate.Options{State: st, Logger: testLogger(t)},
		MaxLag: time.Second, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migrate: %v", err)
	}
	t.Logf("cutover: fence %s, write freeze %.3fs, sequences %+v", res.Fence, res.WriteFreezeSeconds, res.Sequences)
	if res.Validation == nil || !res.Validation.Equal || res.Validation.Tables != 1 {
		t.Errorf("validation: %+v", res.Validation)
		if res.Validation != nil {
			for _, tr := range res.Validation.Compare.Tables {
				t.Logf("%+v", tr)
			}
		}
	}
	if len(res.Sequences) != 1 {
		t.Errorf("sequences moved: %+v", res.Sequences)
	}
}
