//go:build !linux

package testdb

import "syscall"

// setPdeathsig does nothing off Linux: servers of a killed test process are
// left to the sweep of the next test process.
func setPdeathsig(*syscall.SysProcAttr, syscall.Signal) {}
