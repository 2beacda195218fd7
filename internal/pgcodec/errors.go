package pgcodec

import (
	"errors"
	"fmt"
)

// ValueError is a value that cannot be converted. The caller wraps it with
// the table name; errors.As finds it through any wrapping.
type ValueError struct {
	Column string // column name as in the Arrow schema
	Row    int64  // 1-based row number within this COPY stream
	// Key holds the values of the key columns (Decoder.Keys, Encoder.Keys)
	// that precede Column, as `name=value, ...`; empty when there are none.
	Key string
	Err error
}

func (e *ValueError) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("column %q, row %d (%s): %v", e.Column, e.Row, e.Key, e.Err)
	}
	return fmt.Sprintf("column %q, row %d: %v", e.Column, e.Row, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// errLen is the error for a fixed-width value of the wrong length.
func errLen(want, got int) error {
	return fmt.Errorf("binary value has %d bytes, want %d", got, want)
}

var (
	errTruncated = errors.New("copy stream ended in the middle of a row")
	errNoTrailer = errors.New("copy stream ended without its trailer")
	errClosed    = errors.New("decoder is closed")
	errNotCopy   = errors.New("not a binary copy stream")
)
