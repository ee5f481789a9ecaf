package testdovecot

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Restart stops dovecot (its clients are disconnected) and starts it again
// on the same port with the same configuration and mail, as an operator's
// restart or upgrade would.
func (s *Server) Restart() error {
	return s.RestartWith(nil)
}

// RestartWith is Restart that calls while, if set, when dovecot is down:
// to change its files behind its back (see ResetUIDs).
func (s *Server) RestartWith(while func() error) error {
	if s.cmd == nil || s.cmd.Process == nil {
		return fmt.Errorf("restarting dovecot: not running")
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("restarting dovecot: it did not stop within 10s: %s", s.Log())
	}
	// Dovecot 2.3's master, stopped in the foreground, leaves its imap
	// processes serving their clients (reparented to init), despite
	// shutdown_clients. A restart that drops every client is the harder
	// case for a client, so finish the job.
	s.killLeftovers()
	if while != nil {
		if err := while(); err != nil {
			return fmt.Errorf("restarting dovecot: %w", err)
		}
	}
	cmd := exec.Command(s.cmd.Path, "-F", "-c", filepath.Join(s.Root, "dovecot.conf"))
	cmd.Dir = s.Root
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restarting dovecot: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	return s.waitGreeting(10 * time.Second)
}

// killLeftovers sends SIGKILL to every process still running under this
// instance's name ("dovecot-test-PORT/…" in its command line), found
// through /proc; where there is no /proc it finds nothing.
func (s *Server) killLeftovers() {
	prefix := []byte(fmt.Sprintf("dovecot-test-%d/", s.Port))
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.HasPrefix(cmdline, prefix) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// ResetUIDs deletes a mailbox's UID list and indexes, so that dovecot
// numbers its messages afresh under a new UIDVALIDITY, as after a server
// migration or a restored backup. Call it while dovecot is down
// (RestartWith).
func (s *Server) ResetUIDs(user, mailbox string) error {
	dir, err := s.MailboxDir(user, mailbox)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "dovecot*"))
	if err != nil {
		return fmt.Errorf("listing the indexes of %s: %w", mailbox, err)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("resetting UIDs of %s: %w", mailbox, err)
		}
	}
	return nil
}
