package testdovecot

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sysProcAttr has Linux send dovecot SIGTERM when the test binary dies
// (killed by a timeout, or a fuzz worker stopped by its coordinator), so no
// server outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// ServiceCPU is the CPU time (user and system) the server's finished
// service processes used: an IMAP session's cost is the difference taken
// before it and after it has logged out. Linux counts it in clock ticks of
// 10 ms.
func (s *Server) ServiceCPU() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after it may not.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc stat: %q", b)
	}
	fields := strings.Fields(string(b[i+1:]))
	// Fields 16 and 17 of stat(5), cutime and cstime, are 14 and 15 here.
	if len(fields) < 15 {
		return 0, fmt.Errorf("unexpected /proc stat: %q", b)
	}
	var ticks int64
	for _, f := range fields[13:15] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected /proc stat: %q", b)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
