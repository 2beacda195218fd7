package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the progress ticker goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoggerRedacts(t *testing.T) {
	dsn := "postgres://app:hunter22@db1/shop"
	for _, format := range []string{"text", "json"} {
		var buf syncBuffer
		con := newConsole(&buf, false, slog.LevelInfo, format, "never", NewRedactor([]string{dsn}, "envsecret"))
		con.Logger.Info("connecting to "+dsn, "dsn", dsn, "err", errors.New("auth failed for hunter22"), "env", "pw envsecret")
		con.Logger.Debug("hidden at info")
		out := buf.String()
		for _, leak := range []string{"hunter22", "envsecret"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s log leaks %q: %s", format, leak, out)
			}
		}
		if !strings.Contains(out, "postgres://app:xxxxx@db1/shop") || strings.Contains(out, "hidden") {
			t.Errorf("%s log: %s", format, out)
		}
		if format == "json" {
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Errorf("json log is not JSON: %v: %s", err, out)
			}
		}
	}
}

func TestProgressModes(t *testing.T) {
	var buf syncBuffer
	r := NewRedactor(nil)
	if p := newConsole(&buf, false, slog.LevelInfo, "text", "auto", r).Progress("x", 10, true); p != nil {
		t.Error("auto on a non-terminal shows progress")
	}
	if p := newConsole(&buf, true, slog.LevelInfo, "text", "never", r).Progress("x", 10, true); p != nil {
		t.Error("never shows progress")
	}
	var nilp *Progress
	nilp.Add(5) // a nil Progress is a no-op
	nilp.Finish()

	// always, off a terminal: a log line now and then.
	con := newConsole(&buf, false, slog.LevelInfo, "text", "always", r)
	con.progressEvery = 5 * time.Millisecond
	p := con.Progress("extract", 4<<20, true)
	p.Add(1 << 20)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "extract progress") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.Finish()
	if out := buf.String(); !strings.Contains(out, `msg="extract progress" done="1.0 MiB" of="4.0 MiB" percent=25`) {
		t.Errorf("progress log: %s", out)
	}
}

func TestProgressBarAndLogShareTheLine(t *testing.T) {
	var buf syncBuffer
	con := newConsole(&buf, true, slog.LevelInfo, "text", "auto", NewRedactor(nil))
	p := con.Progress("load", 100, false)
	if p == nil || p.bar == nil {
		t.Fatal("no bar on a terminal")
	}
	p.Add(40)
	p.Add(80) // past the estimate: the bar grows instead of failing
	if !strings.Contains(buf.String(), "load") {
		t.Errorf("bar not drawn: %q", buf.String())
	}
	con.Logger.Info("a log line")
	out := buf.String()
	if !strings.Contains(out, "]\r\x1b[2Ktime=") {
		t.Errorf("the bar was not erased before the log line: %q", out)
	}
	p.Finish()
	p.Finish()
	if out := buf.String(); !strings.HasSuffix(out, "\n") && !strings.HasSuffix(out, "\r\x1b[2K") {
		t.Errorf("a bar is left on the line after Finish: %q", out)
	}
}
