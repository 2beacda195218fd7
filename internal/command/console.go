package command

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
)

// Console is a command's stderr: the logger and the progress display share
// it, so a log line never lands in the middle of a progress bar. Nothing a
// Console writes goes to stdout, which carries data.
type Console struct {
	// Logger writes to stderr at the --log-level, in the --log-format, with
	// every password of the command's DSNs (and $PGPASSWORD) masked.
	Logger *slog.Logger

	out           *lineWriter
	progress      string // auto, always, never
	progressEvery time.Duration
}

// NewConsole sets up stderr from the common flags. dsns are the connection
// strings the command was given: their passwords are masked in every log
// line.
func NewConsole(c *cli.Context, stderr io.Writer, dsns ...string) *Console {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[ChoiceOf(c, FlagLogLevel)]
	return newConsole(stderr, IsTerminal(stderr), level, ChoiceOf(c, FlagLogFormat), ChoiceOf(c, FlagProgress),
		NewRedactor(dsns, os.Getenv("PGPASSWORD"), os.Getenv("MYSQL_PWD")))
}

func newConsole(stderr io.Writer, terminal bool, level slog.Level, format, progress string, r *Redactor) *Console {
	out := &lineWriter{w: stderr, terminal: terminal}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr(r)}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(out, opts)
	} else {
		h = slog.NewTextHandler(out, opts)
	}
	return &Console{Logger: slog.New(h), out: out, progress: progress, progressEvery: 10 * time.Second}
}

// redactAttr masks passwords in every string, error and Stringer value,
// the message included, so a DSN logged by any layer is safe.
func redactAttr(r *Redactor) func([]string, slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		var s string
		switch a.Value.Kind() {
		case slog.KindString:
			s = a.Value.String()
		case slog.KindAny:
			switch v := a.Value.Any().(type) {
			case error:
				s = v.Error()
			case fmt.Stringer:
				s = v.String()
			default:
				return a
			}
		default:
			return a
		}
		a.Value = slog.StringValue(r.Text(s))
		return a
	}
}

// lineWriter serializes writes to stderr and, on a terminal, erases a
// progress bar drawn on the current line before a log line is written (the
// bar redraws itself on its next update).
type lineWriter struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	barShown bool
}

// Write writes log output.
func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.clearBarLocked()
	return lw.w.Write(p)
}

func (lw *lineWriter) clearBarLocked() {
	if lw.barShown {
		_, _ = io.WriteString(lw.w, "\r\x1b[2K")
		lw.barShown = false
	}
}

func (lw *lineWriter) clearBar() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.clearBarLocked()
}

// barWriter is the progress bar's writer.
type barWriter struct{ lw *lineWriter }

func (bw barWriter) Write(p []byte) (int, error) {
	bw.lw.mu.Lock()
	defer bw.lw.mu.Unlock()
	n, err := bw.lw.w.Write(p)
	if n > 0 {
		bw.lw.barShown = p[n-1] != '\n'
	}
	return n, err
}
