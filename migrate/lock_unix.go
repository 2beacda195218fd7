//go:build unix

package migrate

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lock is an exclusive flock on the state directory's lock file: one
// process runs the pipeline of a migration at a time. The kernel releases
// it when the process dies, however it dies.
type lock struct{ f *os.File }

// errLocked means another process holds the lock.
var errLocked = errors.New("locked")

func (s *State) tryLock() (*lock, error) {
	f, err := os.OpenFile(s.path(lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("state lock: %w", err)
	}
	return &lock{f: f}, nil
}

func (l *lock) unlock() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}

// Running reports whether a process holds the state's lock (a migrate,
// sync or cutover drain is running).
func (s *State) Running() bool {
	l, err := s.tryLock()
	if err != nil {
		return errors.Is(err, errLocked)
	}
	l.unlock()
	return false
}
