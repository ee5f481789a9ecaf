// Package lock keeps two bounceguard processes off one account: an
// exclusive flock(2) on a small file beside the account's state, holding
// the PID of the process that has it, so the one refused can say who is in
// the way.
//
// flock locks belong to the open file, not the path: the kernel drops them
// when the holder exits, however it exits (kill -9 included), so a lock
// is never left stale. The file itself is never removed: removing it would
// let a third process lock a new file of the same name while the second
// still holds the old one.
package lock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// maxPIDBytes bounds what is read from a lock file: it holds one number.
const maxPIDBytes = 32

// HeldError is returned by Acquire when another process holds the lock.
type HeldError struct {
	// Path is the lock file.
	Path string
	// PID is the holder's process ID, or 0 when it could not be read (the
	// holder had just taken the lock and not yet written it).
	PID int
}

// Error says who holds the lock.
func (e *HeldError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("lock %s is held by another process", e.Path)
	}
	return fmt.Sprintf("lock %s is held by process %d", e.Path, e.PID)
}

// Holder returns "PID n", or "PID unknown", for messages.
func (e *HeldError) Holder() string {
	if e.PID == 0 {
		return "PID unknown"
	}
	return "PID " + strconv.Itoa(e.PID)
}

// Lock is a held lock.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the lock at path without waiting, creating the file (mode
// 0600) and its directory (mode 0700) when missing, and writes the
// caller's PID into it. When another process holds it, the error is a
// *HeldError naming that process.
func Acquire(path string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the folder of lock %s: %w", path, err)
	}
	f, err := openFile(path)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if held {
		pid := readPID(f)
		f.Close()
		return nil, &HeldError{Path: path, PID: pid}
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing PID to lock %s: %w", path, err)
	}
	return &Lock{f: f, path: path}, nil
}

// Path returns the lock file.
func (l *Lock) Path() string { return l.path }

// Release clears the PID and gives the lock up. Closing the file is what
// releases it; clearing first means a reader never sees a dead PID as the
// holder.
func (l *Lock) Release() error {
	if l.f == nil {
		return errors.New("lock already released")
	}
	terr := l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	if err == nil {
		err = terr
	}
	if err != nil {
		return fmt.Errorf("releasing lock %s: %w", l.path, err)
	}
	return nil
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID reads the holder's PID; anything but a plain positive number
// (the file is another user's to write only if the folder is, but still)
// counts as unknown.
func readPID(f *os.File) int {
	b, err := io.ReadAll(io.LimitReader(io.NewSectionReader(f, 0, maxPIDBytes), maxPIDBytes))
	if err != nil {
		return 0
	}
	return parsePID(b)
}

// parsePID reads a PID as written by writePID, returning 0 for anything
// else.
func parsePID(b []byte) int {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 10 {
		return 0
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
