package migrate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/migrate"
)

// TestPostgresLive migrates a PostgreSQL database into another while a
// writer changes it, validates live, cuts over with a read-only fence and
// checks the target equal, the sequences moved and status.
func TestPostgresLive(t *testing.T) {
	src, dst := testdb.Postgres(t), testdb.Postgres(t)
	src.Exec(t, pgSchema)
	st, err := migrate.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := migrate.Options{State: st, Endpoints: migrate.Endpoints{Source: src.DSN, Target: dst.DSN}, Slot: slotFor(src.Database),
		Logger: testLogger(t)}
	w := startPGWriter(t, src.DSN)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- migrate.Migrate(ctx, o) }()
	alive := func() error {
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("migrate returned")
			}
			return err
		default:
			return nil
		}
	}
	p := waitPhase(t, st, migrate.PhaseStreaming, 30*time.Second, alive)
	t.Logf("snapshot copied in %s: %d rows, %d chunks, %.1f MB/s", time.Since(start).Round(time.Millisecond), p.Rows, p.ChunksDone, p.MBPerSec)
	if p.Rows < 22000 || p.Tables != 2 {
		t.Errorf("progress after the copy: %+v", p)
	}
	if err := migrate.Migrate(ctx, o); !errors.Is(err, migrate.ErrLocked) {
		t.Errorf("a second migrate on the same state: %v, want ErrLocked", err)
	}
	time.Sleep(time.Second) // changes flow while the writer writes

	// Live validation while changes are in flight.
	v, err := migrate.Validate(ctx, migrate.ValidateOptions{Options: migrate.Options{State: st}, Live: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("live validation: equal %v, %d differences, live re-check %.0fs", v.Equal, v.Differences, v.LiveSeconds)

	w.halt(t)
	res, err := migrate.Cutover(ctx, migrate.CutoverOptions{Options: migrate.Options{State: st, Logger: testLogger(t)},
		ReadOnlySource: true, MaxLag: time.Second, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("migrate did not stop at the fence")
	}
	t.Logf("cutover: fence %s, write freeze %.3fs, drained by %s, %d source writes, sequences %+v",
		res.Fence, res.WriteFreezeSeconds, res.DrainedBy, w.writes.Load(), res.Sequences)
	if res.DrainedBy != "migrate" || res.Validation == nil || !res.Validation.Equal || !res.SlotDropped {
		t.Errorf("cutover result: %+v, validation %+v", res, res.Validation)
	}
	srcMax := queryInt(t, src.DSN, "SELECT max(id) FROM items")
	if next := queryInt(t, dst.DSN, "SELECT nextval('items_id_seq')"); next <= srcMax {
		t.Errorf("target sequence gives %d, source max id %d", next, srcMax)
	}
	if n := queryInt(t, src.DSN, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", o.Slot); n != 0 {
		t.Errorf("slot left: %d", n)
	}
	if n := queryInt(t, src.AdminDSN, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1", src.Database); n != 1 {
		t.Errorf("source database not set read-only (%d settings)", n)
	}

	s, err := migrate.ReadStatus(st)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Progress struct {
			Phase  string
			Fence  string
			Rows   int64
			Tables int
		}
		Report struct {
			Cutover struct {
				WriteFreezeSeconds float64 `json:"write_freeze_seconds"`
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || got.Progress.Phase != migrate.PhaseFenced || got.Progress.Fence != res.Fence ||
		got.Report.Cutover.WriteFreezeSeconds <= 0 {
		t.Errorf("status --json: %v\n%s", err, buf.String())
	}
	if _, err := migrate.Cutover(ctx, migrate.CutoverOptions{Options: migrate.Options{State: st}}); !errors.Is(err, migrate.ErrCutOver) {
		t.Errorf("second cutover: %v", err)
	}
}
