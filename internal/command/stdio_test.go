package command

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputFileAppearsOnlyWhenComplete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.arrows")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A failed run leaves FILE as it was and no temporary file behind.
	o, err := CreateOutput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := o.Finish(boom); err != boom {
		t.Errorf("Finish(boom) = %v", err)
	}
	assertDir(t, dir, map[string]string{"shop.arrows": "old"})

	// A complete run replaces FILE.
	o, err = CreateOutput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Write([]byte("new stream")); err != nil {
		t.Fatal(err)
	}
	if o.Bytes() != 10 || o.Path() != path {
		t.Errorf("Bytes %d, Path %q", o.Bytes(), o.Path())
	}
	if err := o.Finish(nil); err != nil {
		t.Fatal(err)
	}
	assertDir(t, dir, map[string]string{"shop.arrows": "new stream"})

	if _, err := CreateOutput(filepath.Join(dir, "missing", "x"), nil); err == nil || !strings.Contains(err.Error(), "output") {
		t.Errorf("output into a missing directory: %v", err)
	}
}

func assertDir(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	if len(got) != len(want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestOutputStdoutBrokenPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close() // downstream went away
	o, err := CreateOutput("", w)
	if err != nil {
		t.Fatal(err)
	}
	_, werr := o.Write([]byte("data"))
	if werr == nil {
		t.Fatal("write to a closed pipe succeeded")
	}
	// Whatever the caller made of the write error, Finish names the cause.
	err = o.Finish(errors.New("format: stream output failed: write |1: broken pipe"))
	if !errors.Is(err, ErrDownstreamClosed) || ExitCode(err) != ExitBrokenPipe {
		t.Errorf("Finish = %v (exit %d), want ErrDownstreamClosed (141)", err, ExitCode(err))
	}
	var buf bytes.Buffer
	Report(&buf, "dbextract", err)
	if buf.String() != "dbextract: downstream closed the pipe\n" {
		t.Errorf("report %q", buf.String())
	}
}

func TestInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	data := bytes.Repeat([]byte("x"), 3<<20)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := OpenInput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Size() != int64(len(data)) {
		t.Errorf("Size %d, want %d", in.Size(), len(data))
	}
	if in.Reader.Size() < InputBufferSize {
		t.Errorf("buffer %d, want at least %d", in.Reader.Size(), InputBufferSize)
	}
	n, err := io.Copy(io.Discard, in)
	if err != nil || n != int64(len(data)) || in.Bytes() != n {
		t.Errorf("read %d (%v), counted %d", n, err, in.Bytes())
	}

	// stdin: a pipe has no size; a file redirected to stdin has one.
	in, err = OpenInput("-", strings.NewReader("abc"))
	if err != nil || in.Size() != -1 {
		t.Errorf("stdin reader: size %d, %v", in.Size(), err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if in, err = OpenInput("", f); err != nil || in.Size() != int64(len(data)) {
		t.Errorf("stdin file: size %d, %v", in.Size(), err)
	}

	if _, err := OpenInput(filepath.Join(t.TempDir(), "nope"), nil); err == nil || !strings.Contains(err.Error(), "input") {
		t.Errorf("missing input file: %v", err)
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}
