//go:build !unix

package migrate

import "errors"

type lock struct{}

var errLocked = errors.New("locked")

func (s *State) tryLock() (*lock, error) {
	return nil, errors.New("dbmigrate state locking needs flock (unix) and is not built for this system")
}

func (l *lock) unlock() {}

// Running reports whether a process holds the state's lock.
func (s *State) Running() bool { return false }
