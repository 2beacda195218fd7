// Package pgcodec converts between PostgreSQL's binary COPY format and Arrow
// record batches, following the mapping in docs/TYPES.md.
//
// It is the data path of the PostgreSQL reader and writer:
//
//	COPY t TO STDOUT (FORMAT binary)  ──pgconn.CopyTo──►  Decoder (io.Writer)  ──►  arrow.RecordBatch
//	arrow.RecordBatch  ──►  Encoder.Reader (io.Reader)  ──pgconn.CopyFrom──►  COPY t FROM STDIN (FORMAT binary)
//
// Both directions run once per value for every row the tool moves, on machines
// where the database servers want the same cores, so the code avoids per-value
// heap allocation, interface boxing and reflection: the conversion for a column
// is chosen once (a small kind per column, dispatched by a switch), decoded
// values are written straight into Arrow buffers obtained from the caller's
// allocator (and reused once the consumer releases a batch), and encoded
// values straight into the buffer pgconn reads into.
//
// Value errors are *ValueError, which names the column and the 1-based row of
// the COPY stream; the caller adds the table name.
package pgcodec
