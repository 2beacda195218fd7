package testdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	dirPrefix    = "dbmig-testdb-" // server directories: os.TempDir()/dbmig-testdb-<kind>-*
	ownerFile    = "owner.pid"     // "<pid> <start time>" of the test process owning the directory
	serverPIDKey = "server.pid"    // PID of the server process, written right after it starts
	logFile      = "server.log"    // server stdout and stderr
	readyTimeout = 60 * time.Second
	stopTimeout  = 20 * time.Second
)

// server is a throwaway database server started by this process.
type server struct {
	name    string // "PostgreSQL", "MariaDB"
	dir     string // removed on stop
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has been waited for
	stopSig syscall.Signal
}

// stop asks the server to shut down, kills it after stopTimeout, and removes its directory.
func (s *server) stop() {
	s.halt()
	_ = os.RemoveAll(s.dir)
}

// halt stops the server process and keeps its directory.
func (s *server) halt() {
	_ = s.cmd.Process.Signal(s.stopSig)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// launchSpec says how to start one server in an initialized directory.
type launchSpec struct {
	name    string
	dir     string
	cred    *syscall.Credential // run as this user; nil: as ourselves
	stopSig syscall.Signal
	command func(port int) *exec.Cmd
	ready   func(ctx context.Context, port int) error // nil once the server accepts work
}

// errPortInUse marks a start that failed because another process took the port.
var errPortInUse = errors.New("port in use")

// launch starts the server on a free loopback port and waits until it is
// ready, trying other ports when the chosen one is taken meanwhile.
func launch(sp launchSpec) (*server, int, error) {
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		s, err := startOnce(sp, port)
		if err == nil {
			return s, port, nil
		}
		if !errors.Is(err, errPortInUse) {
			return nil, 0, err
		}
		lastErr = err
	}
	return nil, 0, lastErr
}

// startOnce starts the server on port and waits for it; on failure the process is gone.
func startOnce(sp launchSpec, port int) (*server, error) {
	logPath := filepath.Join(sp.dir, logFile)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := sp.command(port)
	cmd.Dir, cmd.Stdout, cmd.Stderr = sp.dir, logf, logf
	err = startProcess(cmd, sp.cred, sp.stopSig)
	logf.Close()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", sp.name, err)
	}
	s := &server{name: sp.name, dir: sp.dir, cmd: cmd, exited: make(chan struct{}), stopSig: sp.stopSig}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	_ = os.WriteFile(filepath.Join(sp.dir, serverPIDKey), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-s.exited:
			tail := logTail(logPath)
			if strings.Contains(tail, "Address already in use") {
				return nil, fmt.Errorf("%s on port %d: %w", sp.name, port, errPortInUse)
			}
			return nil, fmt.Errorf("%s exited during start-up (%v); log %s ends:\n%s", sp.name, cmd.ProcessState, logPath, tail)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := sp.ready(ctx, port)
		cancel()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.halt()
			return nil, fmt.Errorf("%s not ready after %v: %v; log %s ends:\n%s", sp.name, readyTimeout, err, logPath, logTail(logPath))
		}
		select {
		case <-s.exited:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runCmd runs a set-up command (initdb, mariadb-install-db) and returns its output.
func runCmd(cmd *exec.Cmd, dir string, cred *syscall.Credential) ([]byte, error) {
	var out bytes.Buffer
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
	if err := startProcess(cmd, cred, syscall.SIGKILL); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	return out.Bytes(), err
}

// spawn runs process starts on one goroutine locked to its OS thread that
// never exits: the parent-death signal (Linux) fires when the thread that
// started a child exits, so that thread must live as long as the process.
var spawn = sync.OnceValue(func() chan func() {
	ch := make(chan func())
	go func() {
		runtime.LockOSThread()
		for f := range ch {
			f()
		}
	}()
	return ch
})

// startProcess starts cmd as cred (if not nil), set to receive sig when this process dies.
func startProcess(cmd *exec.Cmd, cred *syscall.Credential, sig syscall.Signal) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = cred
	setPdeathsig(cmd.SysProcAttr, sig)
	done := make(chan error, 1)
	spawn() <- func() { done <- cmd.Start() }
	return <-done
}

// serviceUser returns the credential of the OS user name when we run as root
// (servers refuse to run as root), and nil otherwise.
func serviceUser(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root and no %q user to run the server as: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %q: %w", name, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// newServerDir sweeps stale server directories, then creates a new one owned
// by this process (and by cred's user, if any).
func newServerDir(kind string, cred *syscall.Credential) (string, error) {
	sweep()
	dir, err := os.MkdirTemp("", dirPrefix+kind+"-*")
	if err != nil {
		return "", fmt.Errorf("create server directory: %w", err)
	}
	pid := os.Getpid()
	owner := fmt.Sprintf("%d %d\n", pid, procStartTime(pid))
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// logTail returns the last lines of a log file.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
