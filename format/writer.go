package format

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zeebo/xxh3"
)

// Compression is the codec for record batch bodies.
type Compression string

// Codecs. Zstd is the default: it is the right choice for files and for
// anything crossing a network. On a local pipe between two processes on a
// busy machine, lz4 or none leave more CPU to the database servers (see
// docs/FORMAT.md for measurements).
const (
	CompressionZstd Compression = "zstd"
	CompressionLZ4  Compression = "lz4"
	CompressionNone Compression = "none"
)

// ParseCompression parses a --compression flag value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case CompressionZstd, CompressionLZ4, CompressionNone:
		return c, nil
	case "":
		return CompressionZstd, nil
	}
	return "", fmt.Errorf("unknown compression %q (want none, lz4 or zstd)", s)
}

// WriterOptions configure a Writer. The zero value writes zstd with the Go
// allocator and a random stream ID.
type WriterOptions struct {
	Compression Compression
	Allocator   memory.Allocator
	// StreamID identifies the stream in every segment; a loader keys its
	// bookkeeping on it. Empty: a random one.
	StreamID string
}

// Writer writes a stream. Segments may be produced concurrently from several
// goroutines: the first open segment writes straight through to the output,
// the others are spooled in memory and written whole when they close, so
// segments never interleave. One goroutine must not hold two segments open at
// once (closing the spooled one would wait for the other).
type Writer struct {
	opts WriterOptions
	out  *bufio.Writer
	ipc  []ipc.Option

	outMu sync.Mutex // held by the direct segment, or by a spooled one while it copies out

	mu       sync.Mutex // guards the fields below
	open     int
	segments int64
	rows     int64
	closed   bool
	err      error // sticky: the output is unusable
}

// NewWriter returns a Writer on out.
func NewWriter(out io.Writer, opts WriterOptions) *Writer {
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	if opts.Compression == "" {
		opts.Compression = CompressionZstd
	}
	if opts.StreamID == "" {
		opts.StreamID = NewStreamID()
	}
	io := []ipc.Option{ipc.WithAllocator(opts.Allocator)}
	switch opts.Compression {
	case CompressionZstd:
		io = append(io, ipc.WithZstd())
	case CompressionLZ4:
		io = append(io, ipc.WithLZ4())
	}
	return &Writer{opts: opts, out: bufio.NewWriterSize(out, 256<<10), ipc: io}
}

// NewStreamID returns a random stream identifier.
func NewStreamID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// StreamID returns the ID written into every segment.
func (w *Writer) StreamID() string { return w.opts.StreamID }

// Begin starts a data segment. The header's Stream field is set to the
// writer's stream ID. The caller writes batches and then closes the segment
// (or aborts it).
func (w *Writer) Begin(h Header, cols []Column) (*SegmentWriter, error) {
	if h.Kind == "" {
		h.Kind = KindSnapshot
	}
	if h.Kind == KindTrailer {
		return nil, errors.New("format: the trailer is written by Writer.Close")
	}
	h.Stream = w.opts.StreamID
	h.Compression = w.opts.Compression
	w.mu.Lock()
	if err := w.usable(); err != nil {
		w.mu.Unlock()
		return nil, err
	}
	w.open++
	w.mu.Unlock()
	s := w.begin(h, NewSchema(h, cols))
	s.data = true
	return s, nil
}

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("format: writer is closed")
	}
	return nil
}

func (w *Writer) begin(h Header, schema *arrow.Schema) *SegmentWriter {
	s := &SegmentWriter{w: w, header: h, schema: schema, hash: xxh3.New()}
	if w.outMu.TryLock() {
		s.direct = true
		s.sink = w.out
	} else {
		s.spool = &spool{}
		s.sink = s.spool
	}
	s.ipcw = ipc.NewWriter(hashWriter{s.sink, s.hash}, append([]ipc.Option{ipc.WithSchema(schema)}, w.ipc...)...)
	return s
}

// Close writes the trailer and flushes. It fails if a segment is still open.
// Close does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	if err := w.usable(); err != nil {
		w.mu.Unlock()
		return err
	}
	if w.open > 0 {
		w.mu.Unlock()
		return fmt.Errorf("format: close with %d segment(s) still open", w.open)
	}
	w.closed = true
	h := Header{Kind: KindTrailer, Stream: w.opts.StreamID, Compression: w.opts.Compression, Extra: map[string]string{
		KeySegments: strconv.FormatInt(w.segments, 10),
		KeyRows:     strconv.FormatInt(w.rows, 10),
	}}
	w.mu.Unlock()

	return w.begin(h, NewSchema(h, nil)).finish()
}

// Stats returns the data segments and rows written so far.
func (w *Writer) Stats() (segments, rows int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.segments, w.rows
}

func (w *Writer) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = fmt.Errorf("format: stream output failed: %w", err)
	}
	return w.err
}

// SegmentWriter writes the batches of one segment.
type SegmentWriter struct {
	w       *Writer
	header  Header
	schema  *arrow.Schema
	direct  bool
	sink    io.Writer
	spool   *spool
	hash    *xxh3.Hasher
	ipcw    *ipc.Writer
	rows    int64
	batches int64
	done    bool
	data    bool // a data segment (counted in Writer.open), not the trailer
}

// Schema returns the segment's Arrow schema; batches must match it.
func (s *SegmentWriter) Schema() *arrow.Schema { return s.schema }

// Rows returns the rows written to this segment so far.
func (s *SegmentWriter) Rows() int64 { return s.rows }

// Write appends a batch. The caller keeps ownership of rec.
func (s *SegmentWriter) Write(rec arrow.RecordBatch) error {
	if s.done {
		return errors.New("format: write to a closed segment")
	}
	if rec.NumRows() == 0 {
		return nil // an empty batch carries nothing, and the seal is the only empty batch
	}
	if err := s.ipcw.Write(rec); err != nil {
		return s.failed(err)
	}
	s.rows += rec.NumRows()
	s.batches++
	if s.direct {
		// Hand each batch downstream now: a consumer may be waiting for it.
		if err := s.w.out.Flush(); err != nil {
			return s.failed(err)
		}
	}
	return nil
}

func (s *SegmentWriter) failed(err error) error {
	if s.direct {
		// Bytes of a partial segment may already be out: the stream is broken.
		err = s.w.fail(err)
	}
	s.Abort()
	return err
}

// Close seals the segment (row count and digest of its bytes), ends it, and
// makes it part of the stream.
func (s *SegmentWriter) Close() error {
	if s.done {
		return errors.New("format: segment closed twice")
	}
	return s.finish()
}

func (s *SegmentWriter) finish() error {
	if err := s.writeSeal(); err != nil {
		return s.failed(err)
	}
	if err := s.ipcw.Close(); err != nil { // writes the end-of-stream marker
		return s.failed(err)
	}
	s.done = true
	w := s.w
	if !s.direct {
		w.outMu.Lock()
	}
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err == nil && s.spool != nil {
		err = s.spool.copyTo(w.out)
		s.spool.release()
	}
	if err == nil {
		err = w.out.Flush()
	}
	w.outMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.data {
		w.open--
	}
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("format: stream output failed: %w", err)
		}
		return w.err
	}
	if s.data {
		w.segments++
		w.rows += s.rows
	}
	return nil
}

func (s *SegmentWriter) writeSeal() error {
	mem := s.w.opts.Allocator
	cols := make([]arrow.Array, s.schema.NumFields())
	for i, f := range s.schema.Fields() {
		cols[i] = array.MakeArrayOfNull(mem, f.Type, 0)
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	// The digest covers every byte of this segment before the seal message:
	// the schema message and the batches.
	digest := s.hash.Sum64()
	if s.batches == 0 {
		// The ipc writer emits the schema message lazily, so here it will go
		// out together with the seal. Its bytes are deterministic: take them
		// from a scratch writer (schema message, then the 8-byte end marker).
		var scratch spool
		sw := ipc.NewWriter(&scratch, append([]ipc.Option{ipc.WithSchema(s.schema)}, s.w.ipc...)...)
		if err := sw.Close(); err != nil {
			return err
		}
		h := xxh3.New()
		scratch.hashPrefix(h, scratch.size-8)
		scratch.release()
		digest = h.Sum64()
	}
	seal := arrow.MetadataFrom(map[string]string{
		KeySeal:    "1",
		KeyRows:    strconv.FormatInt(s.rows, 10),
		KeyBatches: strconv.FormatInt(s.batches, 10),
		KeyDigest:  strconv.FormatUint(digest, 16),
	})
	rec := array.NewRecordBatchWithMetadata(s.schema, cols, 0, seal)
	defer rec.Release()
	return s.ipcw.Write(rec)
}

// Abort drops the segment. A spooled segment leaves no trace; a direct one
// has already written bytes, so the whole stream is marked failed.
func (s *SegmentWriter) Abort() {
	if s.done {
		return
	}
	s.done = true
	s.ipcw = nil
	if s.spool != nil {
		s.spool.release()
	}
	w := s.w
	if s.direct {
		_ = w.fail(errors.New("a segment was aborted after part of it was written"))
		w.outMu.Unlock()
	}
	if s.data {
		w.mu.Lock()
		w.open--
		w.mu.Unlock()
	}
}

type hashWriter struct {
	w io.Writer
	h *xxh3.Hasher
}

func (hw hashWriter) Write(p []byte) (int, error) {
	_, _ = hw.h.Write(p) // never fails
	return hw.w.Write(p)
}
