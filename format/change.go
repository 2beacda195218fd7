package format

import (
	"encoding/json"
	"fmt"
	"time"
)

// Change streams (dbcdc) use two more segment kinds. See docs/FORMAT.md,
// "Change streams".
const (
	// KindChange segments carry row changes of one table from a group of
	// whole source transactions: one row per change, in commit order, with
	// the change columns (FieldChange) before the table's columns.
	KindChange Kind = "change"
	// KindCheckpoint segments have no columns and no batches: their schema
	// metadata (KeyCheckpoint) marks a transaction boundary. Every change
	// segment since the previous checkpoint belongs to it, and a loader
	// commits them together with the checkpoint's position, or none of them.
	KindCheckpoint Kind = "checkpoint"
)

// KeyCheckpoint is the schema metadata key of a checkpoint segment: a JSON
// Checkpoint.
const KeyCheckpoint = "dbmig.checkpoint"

// KeyFeed names the change source a change segment comes from (the same
// value as Checkpoint.Feed).
const KeyFeed = "dbmig.feed"

// FieldChange marks a change column of a change segment; its value is the
// column's role (one of the Change* constants). Table columns do not have it.
const FieldChange = "dbmig.change"

// FieldBeforeOf, on a before-image column, names the table column it is the
// before image of.
const FieldBeforeOf = "dbmig.before_of"

// Change column roles (values of FieldChange). The first six are always
// present, in this order, and named as their role; then come the table's
// columns (the after image), then one before-image column per table column,
// named "dbmig.before." + the column's name.
const (
	ChangeOp         = "dbmig.op"          // utf8: one of the Op* values
	ChangeLSN        = "dbmig.lsn"         // int64: source position of the change (PostgreSQL: WAL LSN; MySQL: binlog file number<<32 | offset, see docs/FORMAT.md)
	ChangeCommitLSN  = "dbmig.commit_lsn"  // int64: end position of the transaction's commit; checkpoints compare against it
	ChangeXID        = "dbmig.xid"         // int64: source transaction id
	ChangeCommitTime = "dbmig.commit_time" // timestamp(us, UTC): the transaction's commit time at the source
	ChangeUnchanged  = "dbmig.unchanged"   // binary, null when none: bit i (byte i/8, LSB first) set = after-image column i was not sent and keeps its value
	ChangeBefore     = "dbmig.before"      // utf8: what the before-image columns hold: null (nothing), "key" (key columns only) or "full" (every column)
	ChangeBeforeCol  = "before"            // role of the before-image columns
)

// BeforeColumnPrefix starts the name of every before-image column.
const BeforeColumnPrefix = "dbmig.before."

// Operations (values of the ChangeOp column).
const (
	OpInsert   = "insert"
	OpUpdate   = "update"
	OpDelete   = "delete"
	OpTruncate = "truncate"
)

// ChangeColumns is the number of leading change columns in a change segment.
const ChangeColumns = 7

// Checkpoint phases.
const (
	// PhaseBegin is the first segment of a change stream. Snapshot says
	// whether snapshot segments follow (then Position is the snapshot's
	// consistent point).
	PhaseBegin = "begin"
	// PhaseSnapshotDone follows the last snapshot segment: the snapshot is
	// whole, and changes from Position on follow.
	PhaseSnapshotDone = "snapshot-done"
	// PhaseCommit follows a group of change segments: everything up to
	// Position is in the stream.
	PhaseCommit = "commit"
	// PhaseHeartbeat says the source is at Position with no change for this
	// stream in between: a loader may record it (so the source can release
	// its log) and measure lag on it.
	PhaseHeartbeat = "heartbeat"
)

// Checkpoint is the content of a checkpoint segment.
type Checkpoint struct {
	Phase string `json:"phase"`
	// Feed identifies the change source across runs: for PostgreSQL
	// "postgres:SYSTEMID/DATABASE/SLOT". A loader keys its checkpoint on it.
	Feed string `json:"feed"`
	// Position is the source position this checkpoint stands at (PostgreSQL:
	// "lsn", the end of the last commit, as "X/Y").
	Position Position `json:"position,omitempty"`
	// Snapshot is set on a begin checkpoint when snapshot segments follow;
	// SnapshotID then identifies that snapshot (a loader that finds an
	// unfinished load of a different snapshot of the same feed discards it).
	Snapshot   bool   `json:"snapshot,omitempty"`
	SnapshotID string `json:"snapshot_id,omitempty"`
	// CommitTime is the source commit time of the last transaction before
	// the checkpoint; SourceTime the source's clock when it was written.
	CommitTime time.Time `json:"commit_time,omitzero"`
	SourceTime time.Time `json:"source_time,omitzero"`
	// Segments and Rows count the change segments (and their rows) since
	// the previous checkpoint, so a loader can tell that none is missing.
	Segments int   `json:"segments"`
	Rows     int64 `json:"rows"`
	// Transactions counts the source transactions they hold.
	Transactions int64 `json:"transactions,omitempty"`
}

// CheckpointHeader returns the header of a checkpoint segment.
func CheckpointHeader(c Checkpoint) Header {
	b, _ := json.Marshal(c) // plain data: cannot fail
	return Header{Kind: KindCheckpoint, Extra: map[string]string{KeyCheckpoint: string(b)}}
}

// CheckpointOf reads the checkpoint of a checkpoint segment's header.
func CheckpointOf(h Header) (Checkpoint, error) {
	var c Checkpoint
	v, ok := h.Extra[KeyCheckpoint]
	if !ok {
		return c, fmt.Errorf("checkpoint segment has no %s", KeyCheckpoint)
	}
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return c, fmt.Errorf("%s: %w", KeyCheckpoint, err)
	}
	switch c.Phase {
	case PhaseBegin, PhaseSnapshotDone, PhaseCommit, PhaseHeartbeat:
	default:
		return c, fmt.Errorf("%s: unknown phase %q", KeyCheckpoint, c.Phase)
	}
	if c.Feed == "" {
		return c, fmt.Errorf("%s: no feed", KeyCheckpoint)
	}
	return c, nil
}

// ChangeSegmentColumns returns the columns of a change segment for a table
// with the given columns: the change columns, the after image (the table's
// columns, all nullable: a delete carries only its before image), and the
// before image.
func ChangeSegmentColumns(table []Column) []Column {
	role := func(name string) map[string]string { return map[string]string{FieldChange: name} }
	cols := []Column{
		{Name: ChangeOp, Type: arrowUTF8, SourceType: "text", Extra: role(ChangeOp)},
		{Name: ChangeLSN, Type: arrowInt64, SourceType: "bigint", Extra: role(ChangeLSN)},
		{Name: ChangeCommitLSN, Type: arrowInt64, SourceType: "bigint", Extra: role(ChangeCommitLSN)},
		{Name: ChangeXID, Type: arrowInt64, SourceType: "bigint", Extra: role(ChangeXID)},
		{Name: ChangeCommitTime, Type: arrowTimestampUTC, SourceType: "timestamp with time zone", Extra: role(ChangeCommitTime)},
		{Name: ChangeUnchanged, Type: arrowBinary, Nullable: true, SourceType: "bytea", Extra: role(ChangeUnchanged)},
		{Name: ChangeBefore, Type: arrowUTF8, Nullable: true, SourceType: "text", Extra: role(ChangeBefore)},
	}
	for _, c := range table {
		c.Nullable = true
		cols = append(cols, c)
	}
	for _, c := range table {
		b := c
		b.Name = BeforeColumnPrefix + c.Name
		b.Nullable = true
		b.PKOrdinal = 0
		b.Identity, b.Sequence, b.Default, b.Generated = "", nil, "", ""
		b.Extra = map[string]string{FieldChange: ChangeBeforeCol, FieldBeforeOf: c.Name}
		for k, v := range c.Extra {
			b.Extra[k] = v
		}
		cols = append(cols, b)
	}
	return cols
}

// TableColumnsOf returns the table columns (the after image) of a change
// segment's columns, checking the layout ChangeSegmentColumns describes.
func TableColumnsOf(cols []Column) ([]Column, error) {
	if len(cols) < ChangeColumns || (len(cols)-ChangeColumns)%2 != 0 {
		return nil, fmt.Errorf("change segment has %d columns: want %d change columns and the table's columns twice", len(cols), ChangeColumns)
	}
	for i, want := range []string{ChangeOp, ChangeLSN, ChangeCommitLSN, ChangeXID, ChangeCommitTime, ChangeUnchanged, ChangeBefore} {
		if cols[i].Extra[FieldChange] != want {
			return nil, fmt.Errorf("change segment column %d is %q, want the %s change column", i, cols[i].Name, want)
		}
	}
	n := (len(cols) - ChangeColumns) / 2
	table := cols[ChangeColumns : ChangeColumns+n]
	for i, c := range cols[ChangeColumns+n:] {
		if c.Extra[FieldChange] != ChangeBeforeCol || c.Extra[FieldBeforeOf] != table[i].Name {
			return nil, fmt.Errorf("change segment column %q is not the before image of %q", c.Name, table[i].Name)
		}
	}
	return table, nil
}
