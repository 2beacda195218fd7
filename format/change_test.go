package format

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestChangeStreamRoundTrip writes a begin checkpoint, a change segment and
// a commit checkpoint, and reads them back: kinds, checkpoint fields and the
// change column layout survive.
func TestChangeStreamRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterOptions{Compression: CompressionNone})
	table := []Column{{Name: "id", Type: arrow.PrimitiveTypes.Int64, PKOrdinal: 1, SourceType: "bigint"}, {Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}}
	commit := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, h := range []Header{
		CheckpointHeader(Checkpoint{Phase: PhaseBegin, Feed: "f", Position: Position{"lsn": "0/10"}}),
		{Kind: KindChange, Table: TableID{Engine: "postgres", Schema: "public", Name: "t"}},
		CheckpointHeader(Checkpoint{Phase: PhaseCommit, Feed: "f", Position: Position{"lsn": "0/20"}, CommitTime: commit, Segments: 1}),
	} {
		var cols []Column
		if h.Kind == KindChange {
			cols = ChangeSegmentColumns(table)
		}
		s, err := w.Begin(h, cols)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf, ReaderOptions{})
	var kinds []Kind
	for {
		seg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, seg.Header.Kind)
		switch seg.Header.Kind {
		case KindChange:
			got, err := TableColumnsOf(seg.Columns)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Name != "id" || got[0].PKOrdinal != 1 || !got[0].Nullable {
				t.Errorf("table columns = %+v", got)
			}
		case KindCheckpoint:
			cp, err := CheckpointOf(seg.Header)
			if err != nil {
				t.Fatal(err)
			}
			if cp.Phase == PhaseCommit && (!cp.CommitTime.Equal(commit) || cp.Position["lsn"] != "0/20" || cp.Segments != 1) {
				t.Errorf("commit checkpoint = %+v", cp)
			}
		}
	}
	if len(kinds) != 3 || kinds[0] != KindCheckpoint || kinds[1] != KindChange || kinds[2] != KindCheckpoint {
		t.Errorf("kinds = %v", kinds)
	}
}

func TestCheckpointRefused(t *testing.T) {
	h := CheckpointHeader(Checkpoint{Phase: "later", Feed: "f"})
	if _, err := ParseHeader(NewSchema(h, nil).Metadata()); err == nil {
		t.Error("a checkpoint with an unknown phase was accepted")
	}
	if _, err := TableColumnsOf([]Column{{Name: "x"}}); err == nil {
		t.Error("a change segment without change columns was accepted")
	}
}
