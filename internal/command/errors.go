package command

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// UsageError is a mistake in how the command was invoked. It exits 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ErrDownstreamClosed means the process reading our stdout went away
// (EPIPE). It exits 141, the status of a process killed by SIGPIPE, so a
// shell or the orchestrator sees the same thing whether the binary handled
// the broken pipe or died of it: this process is a victim, the root cause
// is downstream.
var ErrDownstreamClosed = errors.New("downstream closed the pipe")

// SignalError is returned by Run when a signal stopped the command. It
// exits 128+signal (130 for SIGINT, 143 for SIGTERM). Err is what the
// command returned when it stopped (usually a context error).
type SignalError struct {
	Signal syscall.Signal
	Err    error
}

func (e *SignalError) Error() string { return "interrupted by " + signalName(e.Signal) }
func (e *SignalError) Unwrap() error { return e.Err }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// Exit statuses.
const (
	ExitOK         = 0
	ExitFailure    = 1
	ExitUsage      = 2
	ExitBrokenPipe = 128 + 13 // SIGPIPE
)

// ExitCode maps an error returned by Run to the process exit status.
func ExitCode(err error) int {
	var (
		usage *UsageError
		sig   *SignalError
		coder cli.ExitCoder
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &sig):
		return 128 + int(sig.Signal)
	case errors.As(err, &usage):
		return ExitUsage
	case isBrokenPipe(err):
		return ExitBrokenPipe
	case errors.As(err, &coder):
		return coder.ExitCode()
	}
	return ExitFailure
}

func isBrokenPipe(err error) bool {
	return errors.Is(err, ErrDownstreamClosed) || errors.Is(err, syscall.EPIPE)
}

// message is the one line printed for err, without the program name; ""
// prints nothing.
func message(prog string, err error) string {
	var (
		usage *UsageError
		sig   *SignalError
	)
	switch {
	case errors.As(err, &sig):
		return sig.Error()
	case errors.As(err, &usage):
		return Redact(usage.Error()) + fmt.Sprintf("\nRun '%s --help' for usage.", prog)
	case isBrokenPipe(err):
		return ErrDownstreamClosed.Error()
	}
	return oneLine(Redact(err.Error()))
}

// oneLine joins a multi-line message (pgx lists each connection attempt on
// its own line, often the same failure twice: with and without TLS) into
// one line, dropping repeated lines.
func oneLine(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(line)
	}
	return b.String()
}
