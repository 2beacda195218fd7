package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// testApp records what its action saw.
type testApp struct {
	args   []string
	create bool
	par    int
	err    error // returned by the action
}

func (ta *testApp) app(stdout, stderr *bytes.Buffer) *cli.App {
	return &cli.App{
		Name:      "dbtest",
		UsageText: "dbtest [flags] DSN",
		Usage:     "a test command",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "create"},
			&cli.IntFlag{Name: "parallel", Value: 2},
		}, CommonFlags()...),
		Writer:    stdout,
		ErrWriter: stderr,
		Action: func(c *cli.Context) error {
			ta.args = c.Args().Slice()
			ta.create = c.Bool("create")
			ta.par = c.Int("parallel")
			return ta.err
		},
	}
}

func runTest(t *testing.T, ctx context.Context, ta *testApp, args ...string) (err error, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err = Run(ctx, ta.app(&out, &errb), append([]string{"dbtest"}, args...))
	Report(&errb, "dbtest", err)
	return err, out.String(), errb.String()
}

func TestRunFlagsAfterPositional(t *testing.T) {
	ta := &testApp{}
	err, _, stderr := runTest(t, t.Context(), ta, "pg://x", "--parallel", "4", "--create")
	if err != nil {
		t.Fatalf("Run: %v (stderr %q)", err, stderr)
	}
	if !ta.create || ta.par != 4 || len(ta.args) != 1 || ta.args[0] != "pg://x" {
		t.Errorf("got create=%v parallel=%d args=%q", ta.create, ta.par, ta.args)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pg://x", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--parallel", "many", "pg://x"}, `invalid value "many" for flag -parallel`},
		{[]string{"--log-level", "loud", "pg://x"}, `invalid value "loud" for flag -log-level: want debug, info, warn or error`},
		{[]string{"pg://x", "--parallel"}, "flag needs an argument: -parallel"},
	} {
		err, stdout, stderr := runTest(t, t.Context(), &testApp{}, tc.args...)
		if code := ExitCode(err); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (err %v)", tc.args, code, ExitUsage, err)
		}
		if !strings.HasPrefix(stderr, "dbtest: "+tc.want) || !strings.Contains(stderr, "dbtest --help") {
			t.Errorf("%q: stderr %q, want it to start with %q and point at --help", tc.args, stderr, "dbtest: "+tc.want)
		}
		if stdout != "" {
			t.Errorf("%q: usage error wrote to stdout: %q", tc.args, stdout)
		}
	}
}

func TestRunHelp(t *testing.T) {
	err, stdout, stderr := runTest(t, t.Context(), &testApp{}, "pg://x", "--help")
	if err != nil || stderr != "" {
		t.Fatalf("--help: err %v, stderr %q", err, stderr)
	}
	for _, want := range []string{"Usage: dbtest [flags] DSN", "a test command", "--parallel", "--log-level", "--progress"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, stdout)
		}
	}
}

func TestRunActionErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{errors.New("boom"), 1, "dbtest: boom\n"},
		{Usagef("missing DSN"), 2, "dbtest: missing DSN\nRun 'dbtest --help' for usage.\n"},
		{fmt.Errorf("write: %w", syscall.EPIPE), 141, "dbtest: downstream closed the pipe\n"},
		{fmt.Errorf("x: %w", ErrDownstreamClosed), 141, "dbtest: downstream closed the pipe\n"},
		{cli.Exit("", 3), 3, ""},
		{errors.New("connect postgres://u:secret@h/db failed"), 1, "dbtest: connect postgres://u:xxxxx@h/db failed\n"},
		{errors.New("failed to connect to `user=u database=d`:\n\th:1 (h): refused\n\th:1 (h): refused\n\th:2 (h): refused"), 1,
			"dbtest: failed to connect to `user=u database=d`: h:1 (h): refused; h:2 (h): refused\n"},
	} {
		err, _, stderr := runTest(t, t.Context(), &testApp{err: tc.err}, "pg://x")
		if code := ExitCode(err); code != tc.code || stderr != tc.stderr {
			t.Errorf("action error %v: exit %d, stderr %q; want %d, %q", tc.err, code, stderr, tc.code, tc.stderr)
		}
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(&SignalError{Signal: syscall.SIGINT})
	err, _, stderr := runTest(t, ctx, &testApp{err: context.Canceled}, "pg://x")
	if code := ExitCode(err); code != 130 || stderr != "dbtest: interrupted by SIGINT\n" {
		t.Errorf("exit %d, stderr %q; want 130 and the signal named", code, stderr)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the command's own error is lost: %v", err)
	}
	// A command that finished despite the signal succeeded.
	if err, _, _ := runTest(t, ctx, &testApp{}, "pg://x"); err != nil {
		t.Errorf("a command that completed: %v", err)
	}
}

func TestSignalContext(t *testing.T) {
	var stderr bytes.Buffer
	ctx, stop := signalContext(&stderr, "dbtest")
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("context not cancelled by SIGTERM")
	}
	var sig *SignalError
	if !errors.As(context.Cause(ctx), &sig) || sig.Signal != syscall.SIGTERM || ExitCode(sig) != 143 {
		t.Errorf("cause %v, want SIGTERM (exit 143)", context.Cause(ctx))
	}
}
