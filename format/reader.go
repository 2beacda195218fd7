package format

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zeebo/xxh3"
)

// Default reader limits. A stream is untrusted input: a corrupt length must
// not make the reader allocate without bound.
const (
	// DefaultMaxMessageBody admits a batch holding one value of PostgreSQL's
	// largest size (1 GB) plus the rest of its row.
	DefaultMaxMessageBody = 1<<30 + 64<<20
	// DefaultMaxMessageMetadata bounds a schema message (table definitions
	// travel in it) or a batch header.
	DefaultMaxMessageMetadata = 16 << 20
)

// ReaderOptions configure a Reader. The zero value uses the defaults.
type ReaderOptions struct {
	Allocator          memory.Allocator
	MaxMessageBody     int64
	MaxMessageMetadata int64
}

// Reader reads a stream segment by segment.
type Reader struct {
	src    *trackingReader
	opts   ReaderOptions
	seg    *Segment
	index  int
	rows   int64
	stream string
	done   bool
	err    error
}

// NewReader returns a Reader on r. It reads exactly what the stream holds and
// never past its trailer. The reader does its own small reads; give it a
// buffered reader.
func NewReader(r io.Reader, opts ReaderOptions) *Reader {
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	if opts.MaxMessageBody <= 0 {
		opts.MaxMessageBody = DefaultMaxMessageBody
	}
	if opts.MaxMessageMetadata <= 0 {
		opts.MaxMessageMetadata = DefaultMaxMessageMetadata
	}
	return &Reader{src: &trackingReader{r: r, h: xxh3.New()}, opts: opts}
}

// Offset returns the number of stream bytes consumed so far.
func (r *Reader) Offset() int64 { return r.src.n }

// Next returns the next data segment. Unread batches of the previous segment
// are read (and verified) first. At the end of a complete stream, after the
// trailer has been checked, Next returns io.EOF. Any other error is a
// *StreamError naming the segment and byte offset; it is sticky.
func (r *Reader) Next() (*Segment, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	if r.seg != nil {
		if err := r.seg.drain(); err != nil {
			return nil, err
		}
		r.seg = nil
	}
	seg, err := r.open()
	if err != nil {
		return nil, r.fail(err)
	}
	if seg.Header.Kind == KindTrailer {
		if err := r.finishTrailer(seg); err != nil {
			return nil, r.fail(err)
		}
		// Nothing may follow the trailer: more bytes mean two streams were
		// concatenated or the input is damaged.
		var b [1]byte
		if n, _ := io.ReadFull(r.src, b[:]); n > 0 {
			return nil, r.fail(&StreamError{Segment: r.index, Offset: r.src.n - 1, Err: errors.New("data after the stream's trailer")})
		}
		r.done = true
		return nil, io.EOF
	}
	r.seg = seg
	return seg, nil
}

func (r *Reader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return r.err
}

// open reads a segment's schema message.
func (r *Reader) open() (*Segment, error) {
	start := r.src.n
	r.src.h.Reset()
	seg := &Segment{r: r, Index: r.index, Offset: start}
	mem := limitAllocator{r.opts.Allocator, int(r.opts.MaxMessageBody)}
	mr := newMessageReader(r.src, mem, r.opts.MaxMessageMetadata, r.opts.MaxMessageBody)
	seg.msgs = mr
	ir, err := ipc.NewReaderFromMessageReader(mr, ipc.WithAllocator(mem))
	if err != nil {
		switch {
		case r.src.n == 0 && mr.sawEOF:
			return nil, seg.errorf(false, "empty input: no stream (did the upstream command fail?)")
		case r.src.n == start && mr.sawEOF:
			if r.index == 0 {
				return nil, seg.errorf(false, "stream ended without its trailer: truncated")
			}
			return nil, seg.errorf(false, "stream ended after %d segment(s) without its trailer: truncated", r.index)
		}
		return nil, seg.wrap(false, fmt.Errorf("reading segment schema: %w", err))
	}
	seg.ipc = ir
	seg.Schema = ir.Schema()
	h, err := ParseHeader(seg.Schema.Metadata())
	if err != nil {
		ir.Release()
		return nil, seg.wrap(false, err)
	}
	seg.Header = h
	if err := validateSchema(seg.Schema); err != nil {
		ir.Release()
		return nil, seg.wrap(true, err)
	}
	if h.Kind != KindTrailer {
		if seg.Columns, err = Columns(seg.Schema); err != nil {
			ir.Release()
			return nil, seg.wrap(true, err)
		}
	}
	if r.stream == "" {
		r.stream = h.Stream
	} else if h.Stream != r.stream {
		ir.Release()
		return nil, seg.errorf(true, "segment belongs to stream %q, earlier segments to %q (were two streams concatenated?)", h.Stream, r.stream)
	}
	r.index++
	return seg, nil
}

func (r *Reader) finishTrailer(seg *Segment) error {
	if err := seg.drain(); err != nil {
		return err
	}
	want := func(key string, got int64) error {
		v, ok := seg.Header.Extra[key]
		if !ok {
			return seg.errorf(false, "trailer has no %s", key)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return seg.errorf(false, "trailer %s=%q is not a number", key, v)
		}
		if n != got {
			return seg.errorf(false, "trailer says %d %s, the stream held %d: segments are missing or extra", n, key[len("dbmig."):], got)
		}
		return nil
	}
	if err := want(KeySegments, int64(seg.Index)); err != nil {
		return err
	}
	return want(KeyRows, r.rows)
}

// Segment is one data segment of a stream.
type Segment struct {
	Header  Header
	Schema  *arrow.Schema
	Columns []Column
	Index   int   // 0-based position in the stream
	Offset  int64 // byte offset of its first byte

	r       *Reader
	msgs    *messageReader
	ipc     *ipc.Reader
	rows    int64
	batches int64
	sealed  bool
	done    bool
}

// Rows returns the rows read from the segment so far.
func (s *Segment) Rows() int64 { return s.rows }

// Read returns the next batch. The batch belongs to the segment and is valid
// until the next call to Read; Retain it to keep it longer. After the last
// batch, once the seal has been checked (row count, digest of every byte) and
// the segment's end marker read, Read returns io.EOF: only then is the
// segment known to be whole. Other errors are *StreamError.
func (s *Segment) Read() (arrow.RecordBatch, error) {
	if s.done {
		return nil, io.EOF
	}
	if s.r.err != nil {
		return nil, s.r.err
	}
	rec, err := s.read()
	if err != nil {
		s.release()
		return nil, s.r.fail(err)
	}
	if rec == nil {
		s.release()
		if s.Header.Kind != KindTrailer {
			s.r.rows += s.rows
		}
		return nil, io.EOF
	}
	return rec, nil
}

func (s *Segment) read() (arrow.RecordBatch, error) {
	src := s.r.src
	before := src.h.Sum64()
	if !s.ipc.Next() {
		if err := s.ipc.Err(); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, s.errorf(true, "stream truncated inside the segment")
			}
			return nil, s.wrap(true, err)
		}
		if !s.msgs.sawEOS {
			// The ipc reader takes a clean end of input for the end of
			// the segment; only the seal and end marker say it is whole.
			return nil, s.errorf(true, "stream truncated inside the segment (no seal): the writer stopped early")
		}
		if !s.sealed {
			return nil, s.errorf(true, "segment ended without a seal: not a dbmig stream, or its writer failed")
		}
		return nil, nil
	}
	if s.sealed {
		return nil, s.errorf(true, "a batch follows the seal")
	}
	rec := s.ipc.RecordBatch()
	if md, ok := rec.(arrow.RecordBatchWithMetadata); ok {
		if v, ok := md.Metadata().GetValue(KeySeal); ok && v == "1" {
			s.sealed = true
			return s.checkSeal(md.Metadata(), before)
		}
	}
	if rec.NumRows() == 0 {
		return nil, s.errorf(true, "empty batch before the seal")
	}
	if err := validateBatch(rec); err != nil {
		return nil, s.wrap(true, fmt.Errorf("batch %d: %w", s.batches, err))
	}
	s.rows += rec.NumRows()
	s.batches++
	return rec, nil
}

// checkSeal compares the seal with what was read, then reads on to the end
// marker (returning nil, nil at the end).
func (s *Segment) checkSeal(md arrow.Metadata, digest uint64) (arrow.RecordBatch, error) {
	get := func(k string) (string, error) {
		v, ok := md.GetValue(k)
		if !ok {
			return "", s.errorf(true, "seal has no %s", k)
		}
		return v, nil
	}
	for _, c := range []struct {
		key  string
		base int
		got  uint64
		what string
	}{
		{KeyRows, 10, uint64(s.rows), "rows"},
		{KeyBatches, 10, uint64(s.batches), "batches"},
		{KeyDigest, 16, digest, "digest"},
	} {
		v, err := get(c.key)
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseUint(v, c.base, 64)
		if err != nil {
			return nil, s.errorf(true, "seal %s=%q is not a number", c.key, v)
		}
		if n != c.got {
			if c.what == "digest" {
				return nil, s.errorf(true, "segment bytes do not match the seal's digest: the stream is corrupted")
			}
			return nil, s.errorf(true, "seal says %d %s, the segment held %d: the stream is corrupted", n, c.what, c.got)
		}
	}
	return s.read()
}

func (s *Segment) drain() error {
	for {
		_, err := s.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *Segment) release() {
	if !s.done {
		s.done = true
		s.ipc.Release()
	}
}

// StreamError is an error in a stream, located by segment and byte offset.
type StreamError struct {
	Segment int    // 0-based segment index
	Table   string // "" when the segment header was not read
	Chunk   string
	Offset  int64 // byte offset where the problem was found
	Err     error
}

func (e *StreamError) Error() string {
	where := fmt.Sprintf("segment %d", e.Segment)
	if e.Table != "" {
		where += " (" + e.Table
		if e.Chunk != "" {
			where += " chunk " + e.Chunk
		}
		where += ")"
	}
	return fmt.Sprintf("stream %s at byte offset %d: %v", where, e.Offset, e.Err)
}

func (e *StreamError) Unwrap() error { return e.Err }

func (s *Segment) wrap(named bool, err error) *StreamError {
	e := &StreamError{Segment: s.Index, Offset: s.r.src.n, Err: err}
	if named && s.Header.Kind != KindTrailer {
		e.Table = s.Header.Table.String()
		e.Chunk = s.Header.Chunk.Label()
	} else if named {
		e.Table = "trailer"
	}
	return e
}

func (s *Segment) errorf(named bool, f string, args ...any) *StreamError {
	return s.wrap(named, fmt.Errorf(f, args...))
}

// trackingReader counts and hashes the bytes it returns.
type trackingReader struct {
	r io.Reader
	n int64
	h *xxh3.Hasher
}

func (t *trackingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.n += int64(n)
		_, _ = t.h.Write(p[:n])
	}
	return n, err
}
