package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	flatbuffers "github.com/google/flatbuffers/go"
)

// messageReader reads Arrow IPC messages for the ipc package, checking each
// one before Arrow parses it.
//
// Why not ipc.NewReader: arrow-go (v18.8.0) decodes message metadata without
// verifying the flatbuffer, and allocates by the counts it finds there. One
// flipped bit in a schema message made it try to allocate 160 GB: a fatal
// out-of-memory, not a recoverable panic (found by TestCorruptionNeverSilent).
// Its stream reader also ignores the size limits. So we frame messages
// ourselves, apply the limits, and bound every count that Arrow will turn
// into an allocation by the bytes that could actually hold it.
type messageReader struct {
	r       io.Reader
	mem     memory.Allocator
	maxMeta int64
	maxBody int64
	refs    atomic.Int64
	last    *ipc.Message // owned here, as in arrow's own reader: released on the next call

	// How the last Message call ended: at an end-of-stream marker, or at the
	// end of input (zero bytes where a message should start). Arrow reports
	// both as io.EOF; only the first is a complete segment.
	sawEOS, sawEOF bool
}

func newMessageReader(r io.Reader, mem memory.Allocator, maxMeta, maxBody int64) *messageReader {
	m := &messageReader{r: r, mem: mem, maxMeta: maxMeta, maxBody: maxBody}
	m.refs.Add(1)
	return m
}

func (m *messageReader) Retain() { m.refs.Add(1) }

func (m *messageReader) Release() {
	if m.refs.Add(-1) == 0 {
		m.drop()
	}
}

func (m *messageReader) drop() {
	if m.last != nil {
		m.last.Release()
		m.last = nil
	}
}

const continuationMarker = 0xFFFFFFFF

// Message returns the next message, or io.EOF at an end-of-stream marker or
// at the end of input (see sawEOS, sawEOF).
func (m *messageReader) Message() (*ipc.Message, error) {
	m.drop()
	var hdr [8]byte
	n, err := io.ReadFull(m.r, hdr[:4])
	if n == 0 && errors.Is(err, io.EOF) {
		m.sawEOF = true
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("reading message prefix: %w", unexpected(err))
	}
	if c := binary.LittleEndian.Uint32(hdr[:4]); c != continuationMarker {
		return nil, fmt.Errorf("bad message marker 0x%08x: not an Arrow IPC stream, or corrupted", c)
	}
	if _, err := io.ReadFull(m.r, hdr[4:]); err != nil {
		return nil, fmt.Errorf("reading message length: %w", unexpected(err))
	}
	metaLen := int64(int32(binary.LittleEndian.Uint32(hdr[4:])))
	if metaLen == 0 {
		m.sawEOS = true
		return nil, io.EOF
	}
	if metaLen < 8 || metaLen%8 != 0 {
		return nil, fmt.Errorf("invalid message metadata length %d", metaLen)
	}
	if metaLen > m.maxMeta {
		return nil, fmt.Errorf("message metadata length %d exceeds limit %d", metaLen, m.maxMeta)
	}
	meta := make([]byte, metaLen)
	if _, err := io.ReadFull(m.r, meta); err != nil {
		return nil, fmt.Errorf("reading message metadata: %w", unexpected(err))
	}
	bodyLen, err := verifyMessage(meta)
	if err != nil {
		return nil, fmt.Errorf("invalid message metadata: %w", err)
	}
	if bodyLen > m.maxBody {
		return nil, fmt.Errorf("message body length %d exceeds limit %d", bodyLen, m.maxBody)
	}
	body := memory.NewResizableBuffer(m.mem)
	defer body.Release()
	body.Resize(int(bodyLen))
	if _, err := io.ReadFull(m.r, body.Bytes()); err != nil {
		return nil, fmt.Errorf("reading message body: %w", unexpected(err))
	}
	metaBuf := memory.NewBufferBytes(meta)
	defer metaBuf.Release()
	m.last = ipc.NewMessage(metaBuf, body)
	return m.last, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Flatbuffer slots (vtable offsets) from Arrow's Message.fbs and Schema.fbs,
// as in arrow-go's generated arrow/internal/flatbuf code.
const (
	slotMessageHeaderType = 6
	slotMessageHeader     = 8
	slotMessageBodyLength = 10
	slotMessageMetadata   = 12

	slotSchemaFields   = 6
	slotSchemaMetadata = 8
	slotSchemaFeatures = 10

	slotFieldName       = 4
	slotFieldTypeType   = 8
	slotFieldType       = 10
	slotFieldDictionary = 12
	slotFieldChildren   = 14
	slotFieldMetadata   = 16

	slotKeyValueKey   = 4
	slotKeyValueValue = 6

	slotBatchNodes     = 6
	slotBatchBuffers   = 8
	slotBatchVariadics = 12

	slotTimestampZone = 6

	headerSchema      = 1
	headerRecordBatch = 3

	typeUnion     = 14
	typeTimestamp = 10
)

// verifier walks a message's flatbuffer, checking that every offset and
// vector lies inside it, and keeps a budget of fields and string bytes so
// that shared sub-tables (a flatbuffer may point at one table many times)
// cannot multiply Arrow's allocations.
type verifier struct {
	buf         []byte
	fieldBudget int
	byteBudget  int
	depth       int
}

// verifyMessage checks a message's metadata and returns its body length.
func verifyMessage(buf []byte) (bodyLen int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed flatbuffer: %v", r)
		}
	}()
	v := &verifier{buf: buf, fieldBudget: len(buf)/8 + 16, byteBudget: 2*len(buf) + 4096}
	msg := v.root()
	bodyLen = v.int64Slot(msg, slotMessageBodyLength)
	if bodyLen < 0 {
		return 0, fmt.Errorf("negative body length %d", bodyLen)
	}
	if err := v.keyValues(msg, slotMessageMetadata); err != nil {
		return 0, err
	}
	header, ok := v.table(msg, slotMessageHeader)
	if !ok {
		return 0, errors.New("message has no header")
	}
	switch t := v.uint8Slot(msg, slotMessageHeaderType); t {
	case headerSchema:
		if bodyLen != 0 {
			return 0, fmt.Errorf("schema message with a body of %d bytes", bodyLen)
		}
		return 0, v.schema(header)
	case headerRecordBatch:
		return bodyLen, v.recordBatch(header)
	default:
		// Dictionary batches, tensors: dbmig streams never hold them.
		return 0, fmt.Errorf("message type %d is not used in dbmig streams", t)
	}
}

func (v *verifier) root() flatbuffers.Table {
	pos := v.offsetAt(0)
	return v.tableAt(pos)
}

// offsetAt reads a uoffset at p and returns the absolute position it names.
func (v *verifier) offsetAt(p int) int {
	v.need(p, 4)
	off := int(binary.LittleEndian.Uint32(v.buf[p:]))
	if off == 0 || p+off >= len(v.buf) {
		panic(fmt.Sprintf("offset %d at %d points outside %d bytes", off, p, len(v.buf)))
	}
	return p + off
}

func (v *verifier) tableAt(pos int) flatbuffers.Table {
	v.need(pos, 4)
	vt := pos - int(int32(binary.LittleEndian.Uint32(v.buf[pos:])))
	v.need(vt, 4)
	vtLen := int(binary.LittleEndian.Uint16(v.buf[vt:]))
	tLen := int(binary.LittleEndian.Uint16(v.buf[vt+2:]))
	if vtLen < 4 || vtLen%2 != 0 {
		panic(fmt.Sprintf("bad vtable length %d", vtLen))
	}
	v.need(vt, vtLen)
	v.need(pos, tLen)
	// Every field offset in the vtable must lie inside the table.
	for i := 4; i < vtLen; i += 2 {
		if fo := int(binary.LittleEndian.Uint16(v.buf[vt+i:])); fo != 0 && fo >= tLen {
			panic(fmt.Sprintf("field offset %d outside table of %d bytes", fo, tLen))
		}
	}
	return flatbuffers.Table{Bytes: v.buf, Pos: flatbuffers.UOffsetT(pos)}
}

func (v *verifier) need(p, n int) {
	if p < 0 || n < 0 || p+n > len(v.buf) {
		panic(fmt.Sprintf("%d bytes at %d lie outside %d bytes", n, p, len(v.buf)))
	}
}

func (v *verifier) slot(t flatbuffers.Table, slot int) int {
	o := int(t.Offset(flatbuffers.VOffsetT(slot)))
	if o == 0 {
		return 0
	}
	return int(t.Pos) + o
}

func (v *verifier) int64Slot(t flatbuffers.Table, slot int) int64 {
	p := v.slot(t, slot)
	if p == 0 {
		return 0
	}
	v.need(p, 8)
	return int64(binary.LittleEndian.Uint64(v.buf[p:]))
}

func (v *verifier) uint8Slot(t flatbuffers.Table, slot int) uint8 {
	p := v.slot(t, slot)
	if p == 0 {
		return 0
	}
	v.need(p, 1)
	return v.buf[p]
}

func (v *verifier) table(t flatbuffers.Table, slot int) (flatbuffers.Table, bool) {
	p := v.slot(t, slot)
	if p == 0 {
		return flatbuffers.Table{}, false
	}
	return v.tableAt(v.offsetAt(p)), true
}

// vector returns the start and length of a vector of elem-byte elements.
func (v *verifier) vector(t flatbuffers.Table, slot, elem int) (start, n int) {
	p := v.slot(t, slot)
	if p == 0 {
		return 0, 0
	}
	vp := v.offsetAt(p)
	v.need(vp, 4)
	n = int(binary.LittleEndian.Uint32(v.buf[vp:]))
	if n > len(v.buf)/elem {
		panic(fmt.Sprintf("vector of %d elements cannot fit in %d bytes", n, len(v.buf)))
	}
	v.need(vp+4, n*elem)
	return vp + 4, n
}

func (v *verifier) str(t flatbuffers.Table, slot int) {
	start, n := v.vector(t, slot, 1)
	_ = start
	v.byteBudget -= n
	if v.byteBudget < 0 {
		panic("strings exceed the message size budget")
	}
}

func (v *verifier) keyValues(t flatbuffers.Table, slot int) error {
	start, n := v.vector(t, slot, 4)
	for i := 0; i < n; i++ {
		kv := v.tableAt(v.offsetAt(start + 4*i))
		v.str(kv, slotKeyValueKey)
		v.str(kv, slotKeyValueValue)
	}
	return nil
}

func (v *verifier) schema(s flatbuffers.Table) error {
	if err := v.keyValues(s, slotSchemaMetadata); err != nil {
		return err
	}
	v.vector(s, slotSchemaFeatures, 8)
	return v.fields(s, slotSchemaFields)
}

func (v *verifier) fields(t flatbuffers.Table, slot int) error {
	start, n := v.vector(t, slot, 4)
	v.depth++
	defer func() { v.depth-- }()
	if v.depth > 64 {
		return errors.New("fields nested deeper than 64 levels")
	}
	for i := 0; i < n; i++ {
		v.fieldBudget--
		if v.fieldBudget < 0 {
			return errors.New("more fields than the message could hold")
		}
		f := v.tableAt(v.offsetAt(start + 4*i))
		v.str(f, slotFieldName)
		if _, ok := v.table(f, slotFieldDictionary); ok {
			return errors.New("dictionary-encoded fields are not used in dbmig streams")
		}
		switch tt := v.uint8Slot(f, slotFieldTypeType); tt {
		case typeUnion:
			return errors.New("union fields are not used in dbmig streams")
		case typeTimestamp:
			if ts, ok := v.table(f, slotFieldType); ok {
				v.str(ts, slotTimestampZone)
			}
		default:
			v.table(f, slotFieldType)
		}
		if err := v.keyValues(f, slotFieldMetadata); err != nil {
			return err
		}
		if err := v.fields(f, slotFieldChildren); err != nil {
			return err
		}
	}
	return nil
}

func (v *verifier) recordBatch(b flatbuffers.Table) error {
	v.vector(b, slotBatchNodes, 16)
	v.vector(b, slotBatchBuffers, 16)
	v.vector(b, slotBatchVariadics, 8)
	return nil
}

// limitAllocator refuses single allocations above max. Arrow allocates a
// compressed buffer's decompressed size as the stream declares it; a corrupt
// declaration must become an error, not an out-of-memory crash. Arrow's
// reader recovers the panic into an error.
type limitAllocator struct {
	memory.Allocator
	max int
}

func (a limitAllocator) Allocate(n int) []byte {
	if n > a.max {
		panic(fmt.Sprintf("buffer of %d bytes exceeds limit %d", n, a.max))
	}
	return a.Allocator.Allocate(n)
}

func (a limitAllocator) Reallocate(n int, b []byte) []byte {
	if n > a.max {
		panic(fmt.Sprintf("buffer of %d bytes exceeds limit %d", n, a.max))
	}
	return a.Allocator.Reallocate(n, b)
}
