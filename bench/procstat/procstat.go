// Package procstat runs a command and reports what it cost: wall time, CPU
// time and peak resident memory, from the kernel's rusage of the child.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Stat is the cost of one process run.
type Stat struct {
	Wall, User, Sys time.Duration
	// MaxRSS is the peak resident set size in bytes.
	MaxRSS int64
}

// CPU is user plus system time.
func (s Stat) CPU() time.Duration { return s.User + s.Sys }

// String formats the figures as the benchmark reports print them.
func (s Stat) String() string {
	return fmt.Sprintf("wall %v, cpu %v (user %v, sys %v), peak RSS %.1f MB",
		s.Wall.Round(time.Millisecond), s.CPU().Round(time.Millisecond),
		s.User.Round(time.Millisecond), s.Sys.Round(time.Millisecond), float64(s.MaxRSS)/(1<<20))
}

// Run runs cmd to completion and returns its cost and its standard output
// (standard error goes where cmd.Stderr says, or is kept for the error).
func Run(cmd *exec.Cmd) (Stat, []byte, error) {
	var out, errb bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &errb
	}
	start := time.Now()
	err := cmd.Run()
	st := Stat{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			st.User = time.Duration(ru.Utime.Nano())
			st.Sys = time.Duration(ru.Stime.Nano())
			st.MaxRSS = ru.Maxrss << 10 // Linux reports KiB
		}
	}
	if err != nil {
		return st, out.Bytes(), fmt.Errorf("running %s: %w: %s", cmd.Path, err, lastLines(errb.Bytes(), 5))
	}
	return st, out.Bytes(), nil
}

func lastLines(b []byte, n int) []byte {
	b = bytes.TrimRight(b, "\n")
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			n--
			if n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}

// RepoRoot returns the directory of the module's go.mod, searching up from
// the working directory, so the benchmarks run from anywhere in the tree.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the repository: no go.mod above the working directory")
		}
		dir = parent
	}
}

// BuildBounceguard builds the bounceguard command into dir and returns the
// binary's path: the benchmarks measure the program as people run it.
func BuildBounceguard(root, dir string) (string, error) {
	bin := filepath.Join(dir, "bounceguard")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/bounceguard")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building bounceguard: %w: %s", err, out)
	}
	return bin, nil
}

// DevNull opens /dev/null for a child's output, so that discarding it
// costs the parent nothing.
func DevNull() (*os.File, error) {
	return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
}

// Workspace is what every benchmark program starts from: the repository
// root, a temporary folder (cleanup removes it) and the bounceguard binary
// to measure — bin if given, else one built into the folder.
func Workspace(prefix, bin string) (root, tmp, binary string, cleanup func(), err error) {
	if root, err = RepoRoot(); err != nil {
		return "", "", "", nil, err
	}
	if tmp, err = os.MkdirTemp("", prefix); err != nil {
		return "", "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	if bin == "" {
		if bin, err = BuildBounceguard(root, tmp); err != nil {
			cleanup()
			return "", "", "", nil, err
		}
	}
	return root, tmp, bin, cleanup, nil
}
