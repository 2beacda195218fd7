// Package format is the dbmig stream: the contract every dbmig binary speaks on
// stdin and stdout, and the shape of every archived stream file.
//
// A stream is a sequence of Arrow IPC streams ("segments") written back to back.
// Each data segment carries one table, or one chunk (key range) of a table: its
// own schema message, whose metadata identifies the table, the chunk and the
// snapshot, then record batches, then a zero-row "seal" batch whose custom
// metadata holds the segment's row count and a digest of its bytes, then the
// IPC end-of-stream marker. The stream ends with a trailer segment that counts
// the data segments and rows. A reader therefore knows, for every segment, that
// it arrived whole and unaltered before it hands out the segment's end, and
// knows at the end of input whether the stream was complete: a pipe cut at any
// byte is never taken for a complete stream.
//
// Any Arrow implementation can read a segment (the seal is an ordinary empty
// batch). docs/FORMAT.md is the normative description; keep it and this
// package in agreement.
//
// Record batch bodies are compressed with Arrow's own IPC body compression
// (zstd by default, lz4 or none by option), so the stream stays a standard
// Arrow IPC stream.
package format
