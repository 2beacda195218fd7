package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// replicate runs the replication loop until ctx is cancelled or the fence
// is reached, then writes what is whole.
//
// pgoutput runs with protocol version 1 and binary 'true' (PostgreSQL 14+):
// binary values are what the snapshot's COPY decoder reads, so change rows
// are typed by the very same code as snapshot rows and no value goes through
// text. Streaming of in-progress transactions (protocol 2) is not asked for:
// the server then spills large transactions itself (logical_decoding_work_mem)
// and sends each at its commit, and this side spills a window past
// SpillBytes to disk. Memory stays bounded either way.
func (s *cdcSession) replicate(ctx, work context.Context) error {
	pub := pgcatalog.QuoteLiteral(pgx.Identifier{s.cfg.Publication}.Sanitize())
	err := pglogrepl.StartReplication(work, s.repl, s.cfg.Slot, s.start, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names " + pub, "binary 'true'"}})
	if err != nil {
		return fmt.Errorf("start replication on slot %s: %w", s.cfg.Slot, err)
	}
	s.written = s.start
	s.cfg.Logger.Info("streaming changes", "slot", s.cfg.Slot, "from", s.start, "feed", s.feed)
	now := time.Now()
	nextAck := now
	nextHeartbeat := now.Add(s.cfg.Heartbeat)
	var flushAt time.Time // when the window goes out if nothing else arrives
	for {
		if ctx.Err() != nil {
			// Clean stop: write the complete transactions; an open one is
			// resent from the slot next time.
			s.cfg.Logger.Info("stopping: writing complete transactions")
			if err := s.flush(time.Now()); err != nil {
				return err
			}
			return s.sendStatus(work, false)
		}
		now = time.Now()
		if !s.tx.open && !s.win.empty() && (s.win.rows >= s.cfg.WindowRows || s.win.bytes >= s.cfg.WindowBytes ||
			now.Sub(s.win.started) >= s.cfg.WindowDelay || !flushAt.IsZero() && !now.Before(flushAt)) {
			if err := s.flush(now); err != nil {
				return err
			}
			flushAt = time.Time{}
			nextHeartbeat = now.Add(s.cfg.Heartbeat)
		}
		if s.cfg.Until != 0 && !s.tx.open && (s.pastFence || s.win.empty() && s.written >= s.cfg.Until) {
			if err := s.flush(now); err != nil {
				return err
			}
			s.cfg.Logger.Info("reached the fence", "until", s.cfg.Until, "at", s.written)
			return s.sendStatus(work, false)
		}
		if !now.Before(nextAck) {
			if err := s.pollAck(work); err != nil {
				return err
			}
			nextAck = now.Add(s.cfg.AckInterval)
		}
		if !now.Before(nextHeartbeat) && !s.tx.open && s.win.empty() {
			if err := s.heartbeat(now); err != nil {
				return err
			}
			nextHeartbeat = now.Add(s.cfg.Heartbeat)
		}
		// Wake for what can be done: flushes and heartbeats wait for the
		// open transaction to end. A deadline already past would make
		// ReceiveMessage return at once without reading: the loop would
		// spin and never receive the rest of a large transaction.
		deadline := nextAck
		if !s.tx.open {
			if nextHeartbeat.Before(deadline) {
				deadline = nextHeartbeat
			}
			if !flushAt.IsZero() && flushAt.Before(deadline) {
				deadline = flushAt
			}
		}
		if minWait := now.Add(time.Millisecond); deadline.Before(minWait) {
			deadline = minWait
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		msg, err := s.repl.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if pgconn.Timeout(err) || ctx.Err() != nil {
				continue
			}
			return fmt.Errorf("receive from slot %s: %w", s.cfg.Slot, err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			got, err := s.copyData(work, m.Data)
			if err != nil {
				return err
			}
			if got == committed {
				if s.win.txs == 1 {
					s.win.started = time.Now()
				}
				flushAt = time.Now().Add(s.cfg.IdleFlush)
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("slot %s: %w", s.cfg.Slot, pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return fmt.Errorf("slot %s: the server ended replication", s.cfg.Slot)
		}
	}
}

type received int

const (
	other received = iota
	committed
)

func (s *cdcSession) copyData(ctx context.Context, data []byte) (received, error) {
	if len(data) == 0 {
		return other, nil
	}
	switch data[0] {
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(data[1:])
		if err != nil {
			return other, err
		}
		if !s.tx.open && s.win.empty() {
			s.serverEnd = max(s.serverEnd, ka.ServerWALEnd)
		}
		if ka.ReplyRequested {
			return other, s.sendStatus(ctx, false)
		}
		return other, nil
	case pglogrepl.XLogDataByteID:
		x, err := pglogrepl.ParseXLogData(data[1:])
		if err != nil {
			return other, err
		}
		return s.pgoutput(ctx, x)
	}
	return other, nil
}

// pgoutput handles one logical replication message.
func (s *cdcSession) pgoutput(ctx context.Context, x pglogrepl.XLogData) (received, error) {
	b := x.WALData
	if len(b) == 0 || s.pastFence {
		return other, nil
	}
	switch b[0] {
	case 'I', 'U', 'D':
		if err := parseDML(b, &s.parsed); err != nil {
			return other, fmt.Errorf("at %s: %w", x.WALStart, err)
		}
		r := s.rels[s.parsed.relID]
		if r == nil {
			return other, fmt.Errorf("at %s: change of relation %d before its relation message", x.WALStart, s.parsed.relID)
		}
		if !r.selected {
			return other, nil
		}
		return other, s.encodeChange(r, &s.parsed, x.WALStart)
	}
	m, err := pglogrepl.Parse(b)
	if err != nil {
		return other, fmt.Errorf("at %s: %w", x.WALStart, err)
	}
	switch m := m.(type) {
	case *pglogrepl.BeginMessage:
		if s.cfg.Until != 0 && m.FinalLSN >= s.cfg.Until {
			s.pastFence = true // this transaction and all later ones are after the fence
			s.cfg.Logger.Info("a transaction after the fence began", "lsn", m.FinalLSN.String(), "xid", m.Xid)
			return other, nil
		}
		s.tx = txState{open: true, xid: m.Xid, finalLSN: m.FinalLSN, commitTime: m.CommitTime}
	case *pglogrepl.CommitMessage:
		s.tx.open = false
		s.win.txs++
		s.win.lastEnd, s.win.lastCommit = m.TransactionEndLSN, m.CommitTime
		return committed, nil
	case *pglogrepl.RelationMessage:
		if old := s.rels[m.RelationID]; old != nil && old.sameColumns(m) {
			return other, nil
		}
		r, err := s.newRelation(ctx, m)
		if err != nil {
			return other, err
		}
		if old := s.rels[m.RelationID]; old != nil && r.selected {
			s.cfg.Logger.Info("table definition changed", "table", r.id.String(), "at", x.WALStart.String())
		}
		s.rels[m.RelationID] = r
	case *pglogrepl.TruncateMessage:
		for _, id := range m.RelationIDs {
			r := s.rels[id]
			if r == nil {
				return other, fmt.Errorf("at %s: truncate of relation %d before its relation message", x.WALStart, id)
			}
			if r.selected {
				if err := s.encodeTruncate(r, x.WALStart); err != nil {
					return other, err
				}
			}
		}
	}
	return other, nil
}

// heartbeat writes a checkpoint with no changes at the end of the last
// transaction written, with the source's clock: the target measures lag on
// it and sees the stream alive. It does not move the position past WAL the
// stream has not seen: a keepalive's WAL end, used so, lost a transaction
// in the fault test (the server may report an end beyond a transaction it
// has yet to send), and the target skips whatever is below its checkpoint.
func (s *cdcSession) heartbeat(now time.Time) error {
	return s.writeCheckpoint(format.Checkpoint{Phase: format.PhaseHeartbeat, Feed: s.feed, Position: lsnPosition(s.written), SourceTime: now})
}

// pollAck asks the target what it has durably applied and confirms that
// much to the source, and never more.
func (s *cdcSession) pollAck(ctx context.Context) error {
	if s.cfg.Acked == nil {
		return s.sendStatus(ctx, false)
	}
	a, err := s.cfg.Acked(ctx, s.feed)
	if err != nil {
		s.cfg.Logger.Warn("could not read what the target applied; not confirming", "err", err)
		return s.sendStatus(ctx, false)
	}
	if a.Found && a.LSN > s.confirmed {
		s.confirmed = min(a.LSN, max(s.written, s.confirmed))
		s.stats.Confirmed = s.confirmed
		s.cfg.Logger.Debug("confirmed to the source", "lsn", s.confirmed)
	}
	return s.sendStatus(ctx, false)
}

// sendStatus is the standby status update: it keeps the connection alive
// and confirms s.confirmed (the target's durable position) as flushed.
func (s *cdcSession) sendStatus(ctx context.Context, reply bool) error {
	err := pglogrepl.SendStandbyStatusUpdate(ctx, s.repl, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: s.confirmed, WALFlushPosition: s.confirmed, WALApplyPosition: s.confirmed, ReplyRequested: reply})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("send standby status: %w", err)
	}
	return nil
}
