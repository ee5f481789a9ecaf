package testdovecot

import "syscall"

// sysProcAttr has Linux send dovecot SIGTERM when the test binary dies
// (killed by a timeout, or a fuzz worker stopped by its coordinator), so no
// server outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
