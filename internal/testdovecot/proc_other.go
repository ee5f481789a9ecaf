//go:build !linux

package testdovecot

import (
	"errors"
	"syscall"
	"time"
)

// sysProcAttr is empty where the kernel cannot signal a child on our death.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// ServiceCPU is not known outside Linux.
func (s *Server) ServiceCPU() (time.Duration, error) {
	return 0, errors.New("the CPU time of dovecot's services is only known on Linux")
}
