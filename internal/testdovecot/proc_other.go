//go:build !linux

package testdovecot

import "syscall"

// sysProcAttr is empty where the kernel cannot signal a child on our death.
func sysProcAttr() *syscall.SysProcAttr { return nil }
