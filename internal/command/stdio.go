package command

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"golang.org/x/term"
)

// IsTerminal reports whether f is an open file (anything with an Fd method,
// such as *os.File) on a terminal.
func IsTerminal(f any) bool {
	if fd, ok := f.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(fd.Fd()))
	}
	return false
}

// StdoutIsTerminal reports whether stdout is a terminal. A binary stream
// must not be written there.
func StdoutIsTerminal() bool { return IsTerminal(os.Stdout) }

// ErrStdoutTerminal is the refusal to write a stream to a terminal.
var ErrStdoutTerminal = &UsageError{Err: errors.New("refusing to write a binary stream to a terminal; redirect stdout to a file or a pipe")}

// Output is where a command writes its stream: stdout, or with -o FILE a
// file that appears only when the stream is complete. The file is written
// as a temporary ".FILE.<random>.partial" beside FILE and renamed over FILE
// by Finish; if the command fails or is interrupted, the temporary file is
// removed and FILE is left as it was. (Only a second, immediate interrupt
// can leave the .partial file behind; a reader would still find it
// truncated.)
//
// Output counts the bytes written and remembers a broken pipe, so Finish
// reports ErrDownstreamClosed whatever error the writer's caller returned.
type Output struct {
	w      io.Writer
	file   *os.File
	path   string
	n      atomic.Int64
	broken atomic.Bool
}

// CreateOutput opens the output: path "" or "-" is stdout.
func CreateOutput(path string, stdout io.Writer) (*Output, error) {
	if path == "" || path == "-" {
		growPipe(stdout)
		return &Output{w: stdout}, nil
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	dir, base := filepath.Split(path)
	tmp := filepath.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".partial")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	return &Output{w: f, file: f, path: path}, nil
}

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	o.n.Add(int64(n))
	if err != nil && errors.Is(err, syscall.EPIPE) {
		o.broken.Store(true)
	}
	return n, err
}

// Bytes returns the number of bytes written.
func (o *Output) Bytes() int64 { return o.n.Load() }

// Path returns the -o file, or "" for stdout.
func (o *Output) Path() string { return o.path }

// Finish ends the output with the command's result err. On success, a file
// is synced and renamed into place. On failure, a file is removed. The
// returned error is err (ErrDownstreamClosed if the pipe broke), or the
// error of making the file.
func (o *Output) Finish(err error) error {
	switch {
	case o.broken.Load() && err == nil:
		err = ErrDownstreamClosed
	case o.broken.Load():
		err = fmt.Errorf("%w (%w)", ErrDownstreamClosed, err)
	}
	if o.file == nil {
		return err
	}
	tmp := o.file.Name()
	if err == nil {
		err = o.file.Sync()
		if cerr := o.file.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, o.path)
		}
		if err == nil {
			return nil
		}
		err = fmt.Errorf("output %s: %w", o.path, err)
	} else {
		_ = o.file.Close()
	}
	_ = os.Remove(tmp)
	return err
}

// InputBufferSize is the buffer of a command's stream input: one buffer for
// the whole stream, large enough that the reader's small reads cost nothing.
const InputBufferSize = 1 << 20

// Input is a command's stream input, stdin or a file, buffered, counting
// the bytes read.
type Input struct {
	*bufio.Reader
	file     *os.File // -i FILE, closed by Close
	size     int64
	counting *countingReader
}

// OpenInput opens the input: path "" or "-" is stdin.
func OpenInput(path string, stdin io.Reader) (*Input, error) {
	src, size := stdin, int64(-1)
	var file *os.File
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		src, file = f, f
	}
	growPipe(src)
	if f, ok := src.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
			if off, err := f.Seek(0, io.SeekCurrent); err == nil {
				size -= off // stdin redirected from a file may be part-read
			}
		}
	}
	c := &countingReader{r: src}
	return &Input{Reader: bufio.NewReaderSize(c, InputBufferSize), file: file, size: size, counting: c}, nil
}

// Size returns the input's size if known (a regular file), else -1.
func (in *Input) Size() int64 { return in.size }

// Bytes returns the bytes read from the input so far (read ahead into the
// buffer included).
func (in *Input) Bytes() int64 { return in.counting.n.Load() }

// ReportTo makes every read from the input count in p.
func (in *Input) ReportTo(p *Progress) { in.counting.progress = p }

// Close closes an input file; stdin is left open.
func (in *Input) Close() error {
	if in.file != nil {
		return in.file.Close()
	}
	return nil
}

type countingReader struct {
	r        io.Reader
	n        atomic.Int64
	progress *Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	c.progress.Add(int64(n))
	return n, err
}
