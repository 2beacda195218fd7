package testdb

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sweep stops the servers and removes the directories that test processes
// left behind when they died without stopping them (SIGKILL, go test -timeout
// on a system without parent-death signals). A directory is stale when the
// test process named in its owner file is gone.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		if stale(dir) {
			reap(dir)
		}
	}
}

// stale reports whether dir's owning test process is gone.
func stale(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	var pid int
	var start uint64
	if err == nil {
		_, err = fmt.Sscan(string(b), &pid, &start)
	}
	if err != nil || pid <= 0 {
		// No readable owner: being created right now, or not ours. Only old ones are stale.
		fi, err := os.Stat(dir)
		return err == nil && fi.IsDir() && time.Since(fi.ModTime()) > 10*time.Minute
	}
	return !alive(pid, start)
}

// reap stops the server processes recorded in dir, then removes dir.
func reap(dir string) {
	sig := syscall.SIGTERM
	if strings.HasPrefix(filepath.Base(dir), dirPrefix+"pg-") {
		sig = syscall.SIGINT // PostgreSQL fast shutdown
	}
	for _, pid := range serverPIDs(dir) {
		if !alive(pid, 0) || !cmdlineMentions(pid, filepath.Base(dir)) {
			continue // gone, or the PID now belongs to some other process
		}
		_ = syscall.Kill(pid, sig)
		if !waitGone(pid, stopTimeout) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 5*time.Second)
		}
	}
	_ = os.RemoveAll(dir)
}

// serverPIDs returns the PIDs in dir's pid files: ours, PostgreSQL's, MariaDB's.
func serverPIDs(dir string) []int {
	var pids []int
	for _, f := range []string{serverPIDKey, "data/postmaster.pid", mysqlPIDFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(b), "\n")
		pid, err := strconv.Atoi(strings.TrimSpace(first))
		if err == nil && pid > 0 && !contains(pids, pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// waitGone waits up to d for pid to exit and reports whether it did.
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for alive(pid, 0) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// alive reports whether process pid exists and is not a zombie; when start is
// not 0 it must also have that start time (so a reused PID counts as gone).
func alive(pid int, start uint64) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return false
	}
	state, started, ok := procStat(pid)
	if !ok {
		return true // no /proc: trust kill(pid, 0)
	}
	return state != 'Z' && (start == 0 || started == start)
}

// procStartTime returns the start time of pid from /proc, or 0.
func procStartTime(pid int) uint64 {
	_, start, _ := procStat(pid)
	return start
}

// procStat returns the state and start time (clock ticks after boot) of pid
// from /proc/<pid>/stat.
func procStat(pid int) (state byte, start uint64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state); start time is field 22
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, false
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return f[0][0], start, err == nil
}

// cmdlineMentions reports whether pid's command line contains s; without
// /proc it trusts the pid file and says yes.
func cmdlineMentions(pid int, s string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		_, noProc := os.Stat("/proc/self")
		return noProc != nil
	}
	return bytes.Contains(b, []byte(s))
}
