package testdb

import "syscall"

// setPdeathsig makes the kernel send sig to the child when the thread that
// started it exits (see spawn), so servers die with a killed test process.
func setPdeathsig(attr *syscall.SysProcAttr, sig syscall.Signal) {
	attr.Pdeathsig = sig
}
