package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Main runs app with os.Args and a context cancelled by SIGINT or SIGTERM,
// prints the error (if any) once on stderr as "prog: message", and exits
// with the status ExitCode gives. It is the only place in dbmig that calls
// os.Exit.
func Main(app *cli.App) {
	// Get EPIPE from writes to a closed stdout instead of dying silently of
	// SIGPIPE, so the user gets a one-line reason and deferred cleanup
	// (removing a partial -o file) runs. Notify rather than Ignore: an
	// ignored signal would be inherited by child processes.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)

	stopProfile := startProfile(app.Name)
	ctx, stop := signalContext(os.Stderr, app.Name)
	err := Run(ctx, app, os.Args)
	stop()
	stopProfile()
	Report(os.Stderr, app.Name, err)
	os.Exit(ExitCode(err))
}

// Run runs app with args (args[0] is the program name) under ctx. Flags
// may come before or after the positional arguments (see ReorderArgs).
// Flag parsing errors become *UsageError. If ctx was cancelled by
// signalContext and the command failed, the error is a *SignalError.
// Run never exits the process.
func Run(ctx context.Context, app *cli.App, args []string) error {
	prepare(app)
	if len(args) > 0 {
		args = append([]string{args[0]}, ReorderArgs(app.Flags, args[1:])...)
	}
	err := app.RunContext(ctx, args)
	if err != nil && ctx.Err() != nil {
		var sig *SignalError
		if errors.As(context.Cause(ctx), &sig) {
			return &SignalError{Signal: sig.Signal, Err: err}
		}
	}
	return err
}

// Report prints err on w as one "prog: message" line (usage errors get a
// second line pointing at --help). Nothing is printed for a nil error or an
// error whose message is empty.
func Report(w io.Writer, prog string, err error) {
	if err == nil {
		return
	}
	if msg := message(prog, err); msg != "" {
		_, _ = fmt.Fprintf(w, "%s: %s\n", prog, msg)
	}
}

// prepare sets the app up the way every dbmig binary behaves.
func prepare(app *cli.App) {
	// urfave's default handler calls os.Exit for cli.ExitCoder errors; Main
	// does that, once, after cleanup.
	app.ExitErrHandler = func(*cli.Context, error) {}
	if app.OnUsageError == nil {
		app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return &UsageError{Err: err}
		}
	}
	app.HideHelpCommand = true
	app.HideVersion = app.Version == ""
	if app.CustomAppHelpTemplate == "" {
		app.CustomAppHelpTemplate = HelpTemplate
	}
}

// HelpTemplate is the --help layout of dbmig binaries: usage line, summary,
// the description (which carries the examples), then the flags.
const HelpTemplate = `Usage: {{.UsageText}}

{{.Usage}}{{if .Description}}

{{.Description}}{{end}}

Flags:{{range .VisibleFlags}}
  {{.String}}{{end}}
`

// signalContext returns a context cancelled, with a *SignalError cause, by
// the first SIGINT or SIGTERM. A second signal exits the process at once
// with 128+signal (130 for SIGINT): the user asked twice. stop releases the
// signal handlers.
func signalContext(stderr io.Writer, prog string) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var s os.Signal
		select {
		case s = <-sigs:
		case <-done:
			return
		}
		sig, _ := s.(syscall.Signal)
		cancel(&SignalError{Signal: sig})
		_, _ = fmt.Fprintf(stderr, "\n%s: %s received, stopping (send it again to exit at once)\n", prog, signalName(sig))
		select {
		case s = <-sigs:
			sig, _ = s.(syscall.Signal)
			_, _ = fmt.Fprintf(stderr, "%s: %s received again, exiting now\n", prog, signalName(sig))
			os.Exit(128 + int(sig))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}
