package mysql

import (
	"context"
	"fmt"
	"time"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/readers/mysql/binlog"
)

// received is what the binlog reader goroutine hands over: a transaction
// (valid until the loop sends on more) or the error that ended reading.
type received struct {
	tx  *binlog.Transaction
	err error
}

// stream reads the binlog from s.start and writes windows of transactions
// until ctx is cancelled or the fence is reached.
//
// binlog.Stream.Next blocks until a transaction is whole, and must not be
// interrupted inside one (its state would be lost), so it runs in its own
// goroutine: the loop waits on it, on the window's deadlines and on ctx
// together, and tells the goroutine when it is done with a transaction
// (whose memory the next Next reuses).
func (s *cdcSession) stream(ctx, work context.Context) error {
	if s.cfg.Until != 0 && s.written >= s.cfg.Until {
		s.cfg.Logger.Info("the stream starts at or past the fence", "until", format.FormatLSN(s.cfg.Until), "at", format.FormatLSN(s.written))
		return nil
	}
	bl, err := binlog.Open(work, binlog.Config{DSN: s.dsn, Flavor: s.flavor, Start: s.start,
		Tables: []binlog.TableName{{Database: s.database}}, HeartbeatPeriod: s.cfg.Heartbeat, Logger: s.cfg.Logger})
	if err != nil {
		return fmt.Errorf("open the binlog at %s: %w", s.start, err)
	}
	rctx, stopReading := context.WithCancel(work)
	got := make(chan received)
	more := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			tx, err := bl.Next(rctx)
			select {
			case got <- received{tx, err}:
			case <-rctx.Done():
				return
			}
			if err != nil {
				return
			}
			select {
			case <-more:
			case <-rctx.Done():
				return
			}
		}
	}()
	defer func() {
		stopReading()
		<-done
		bl.Close()
	}()
	s.cfg.Logger.Info("streaming changes", "feed", s.feed, "from", s.start.String())

	var flushAt time.Time // when the window goes out if nothing else arrives
	nextHeartbeat := time.Now().Add(s.cfg.Heartbeat)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		w := s.win
		if !w.open && !w.empty() && (w.rows >= s.cfg.WindowRows || now.Sub(w.started) >= s.cfg.WindowDelay && w.txs > 0 ||
			!flushAt.IsZero() && !now.Before(flushAt)) {
			if err := s.flush(now); err != nil {
				return err
			}
			flushAt = time.Time{}
			nextHeartbeat = now.Add(s.cfg.Heartbeat)
		}
		if s.cfg.Until != 0 && !w.open && s.win.empty() && s.written >= s.cfg.Until {
			s.cfg.Logger.Info("reached the fence", "until", format.FormatLSN(s.cfg.Until), "at", format.FormatLSN(s.written))
			return nil
		}
		if !now.Before(nextHeartbeat) && !w.open && w.empty() {
			if err := s.heartbeat(now); err != nil {
				return err
			}
			nextHeartbeat = now.Add(s.cfg.Heartbeat)
		}
		// Wake for what can be done: a heartbeat only with an empty window,
		// a flush only with no large transaction open.
		wake := now.Add(time.Hour)
		if !w.open && w.empty() {
			wake = nextHeartbeat
		}
		if !w.open && !flushAt.IsZero() && flushAt.Before(wake) {
			wake = flushAt
		}
		if !w.open && w.txs > 0 && w.started.Add(s.cfg.WindowDelay).Before(wake) {
			wake = w.started.Add(s.cfg.WindowDelay)
		}
		timer.Reset(max(time.Until(wake), time.Millisecond))
		select {
		case <-ctx.Done():
			// Clean stop: write the complete transactions; an open large
			// one is read again from the binlog next time.
			s.cfg.Logger.Info("stopping: writing complete transactions")
			if w.open {
				return nil
			}
			return s.flush(time.Now())
		case <-timer.C:
		case r := <-got:
			if r.err != nil {
				return r.err
			}
			stop, err := s.receive(work, r.tx)
			if err != nil {
				return err
			}
			if stop {
				s.cfg.Logger.Info("a transaction past the fence committed", "until", format.FormatLSN(s.cfg.Until), "at", r.tx.Resume.String())
				return s.flush(time.Now())
			}
			more <- struct{}{}
			if !s.win.open {
				flushAt = time.Now().Add(s.cfg.IdleFlush)
			}
		}
	}
}

// receive takes one transaction (or progress) into the window; stop says
// it ends past the fence, which it is then not part of.
func (s *cdcSession) receive(ctx context.Context, tx *binlog.Transaction) (stop bool, err error) {
	w := s.win
	if tx.Committed && s.cfg.Until != 0 && !tx.Progress() {
		end, err := BinlogLSN(tx.Resume.File, tx.Resume.Pos)
		if err != nil {
			return false, err
		}
		if end > s.cfg.Until {
			if w.open {
				// Chunks of this very transaction are in the window: drop it
				// all (the window was flushed before its first chunk).
				w.release()
			}
			return true, nil
		}
	}
	if tx.Progress() {
		if !w.open {
			w.end = tx.Resume
		}
		return false, nil
	}
	if !tx.Committed && !w.open && !w.empty() {
		// The first chunk of a large transaction: write what is whole
		// first, so that the fence can still drop this one alone.
		if err := s.flush(time.Now()); err != nil {
			return false, err
		}
	}
	for _, d := range tx.DDL {
		s.cfg.Logger.Info("schema change", "statement", d.Statement, "at", tx.Resume.String())
	}
	return false, s.add(ctx, tx)
}
