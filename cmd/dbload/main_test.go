package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildDBLoad builds the real binary.
func buildDBLoad(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "dbload")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("running the binary: %v", err)
	return -1
}

func TestBinary(t *testing.T) {
	bin := buildDBLoad(t)
	runBin := func(stdin io.Reader, args ...string) (code int, stdout, stderr string) {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = stdin
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		return exitCode(t, cmd.Run()), out.String(), errb.String()
	}

	t.Run("help", func(t *testing.T) {
		code, stdout, stderr := runBin(nil, "--help")
		if code != 0 || !strings.Contains(stdout, "Usage: dbload [flags] TARGET_DSN") || stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("bad flag", func(t *testing.T) {
		code, stdout, stderr := runBin(nil, "postgres://h/db", "--bogus")
		if code != 2 || !strings.HasPrefix(stderr, "dbload: flag provided but not defined: -bogus\n") || stdout != "" {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("empty stdin", func(t *testing.T) {
		code, _, stderr := runBin(strings.NewReader(""), "--log-level=error", "postgres://app:hunter22@127.0.0.1:1/x")
		if code != 1 || stderr != "dbload: stream segment 0 at byte offset 0: empty input: no stream (did the upstream command fail?)\n" {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("mysql", func(t *testing.T) {
		code, _, stderr := runBin(strings.NewReader(""), "--log-level=error", "mysql://app@db2/shop")
		if code != 1 || stderr != "dbload: stream segment 0 at byte offset 0: empty input: no stream (did the upstream command fail?)\n" {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("SIGINT then end of input", func(t *testing.T) {
		p := startWaiting(t, bin)
		p.signal(syscall.SIGINT)
		p.waitLine("SIGINT received, stopping")
		p.stdin.Close()
		if code := p.wait(); code != 130 {
			t.Errorf("exit %d, want 130", code)
		}
		if last := p.lastLine(); last != "dbload: interrupted by SIGINT" {
			t.Errorf("last line %q", last)
		}
	})
	t.Run("second SIGINT exits at once", func(t *testing.T) {
		p := startWaiting(t, bin)
		defer p.stdin.Close()
		p.signal(syscall.SIGINT)
		p.waitLine("SIGINT received, stopping")
		p.signal(syscall.SIGINT)
		if code := p.wait(); code != 130 {
			t.Errorf("exit %d, want 130", code)
		}
		if last := p.lastLine(); last != "dbload: SIGINT received again, exiting now" {
			t.Errorf("last line %q", last)
		}
	})
}

// waiting is a dbload blocked reading an open, silent stdin.
type waiting struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	seen  []string
	done  chan struct{} // stderr drained
}

func startWaiting(t *testing.T, bin string) *waiting {
	t.Helper()
	cmd := exec.Command(bin, "--log-level=debug", "postgres://127.0.0.1:1/x")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &waiting{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 100), done: make(chan struct{})}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	go func() {
		defer close(p.done)
		defer close(p.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	// Signal handlers are in place before the command logs anything.
	p.waitLine("waiting for the stream")
	return p
}

func (p *waiting) signal(s os.Signal) {
	if err := p.cmd.Process.Signal(s); err != nil {
		p.t.Fatal(err)
	}
}

func (p *waiting) waitLine(substr string) {
	p.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("stderr ended without %q: %q", substr, p.seen)
			}
			p.seen = append(p.seen, l)
			if strings.Contains(l, substr) {
				return
			}
		case <-timeout:
			p.t.Fatalf("no %q on stderr: %q", substr, p.seen)
		}
	}
}

func (p *waiting) wait() int {
	p.t.Helper()
	for l := range p.lines {
		p.seen = append(p.seen, l)
	}
	<-p.done
	return exitCode(p.t, p.cmd.Wait())
}

func (p *waiting) lastLine() string {
	if len(p.seen) == 0 {
		return ""
	}
	return p.seen[len(p.seen)-1]
}
