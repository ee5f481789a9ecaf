// Package secret fetches the password or token for an account from where
// the person keeps it: a file only they can read, a command (a password
// manager, an OAuth2 helper), or the environment. Never from argv, where
// every user on the machine can read it with ps, and never into an error
// message or a log.
package secret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// EnvPassword is the environment variable a password may come from.
const EnvPassword = "BOUNCEGUARD_PASSWORD"

// maxSecret bounds what is read from a file or command: a password or
// token is short, and a misconfigured command must not fill memory.
const maxSecret = 64 << 10

// Source says where a secret comes from. At most one of File and Command
// may be set; with neither, the environment variable Env is read.
type Source struct {
	File    string
	Command string
	Env     string
	// What the secret is, for messages: "password" when empty, or e.g.
	// "OAuth2 token" for a token command.
	What string
	// Timeout bounds Command; 0 means 30 s.
	Timeout time.Duration
}

// ErrUnsafe marks a secret file others could read or write.
var ErrUnsafe = errors.New("unsafe permissions")

// ErrNone is returned when no source is configured.
var ErrNone = errors.New("no password given: use --password-file FILE, --password-command CMD, or the " + EnvPassword + " environment variable")

// Describe says where the secret comes from, for messages (never the
// secret itself).
func (s Source) Describe() string {
	switch {
	case s.File != "":
		return s.what() + " file " + s.File
	case s.Command != "":
		return s.what() + " command"
	default:
		return "environment variable " + s.envName()
	}
}

func (s Source) what() string {
	if s.What != "" {
		return s.What
	}
	return "password"
}

func (s Source) envName() string {
	if s.Env != "" {
		return s.Env
	}
	return EnvPassword
}

// Get returns the secret. It is called on every (re)connect, so a command
// that hands out short-lived tokens is run each time.
func (s Source) Get(ctx context.Context) (string, error) {
	switch {
	case s.File != "" && s.Command != "":
		return "", errors.New("give either a password file or a password command, not both")
	case s.File != "":
		return fromFile(s.File)
	case s.Command != "":
		return fromCommand(ctx, s.Command, s.what(), s.Timeout)
	}
	if v, ok := os.LookupEnv(s.envName()); ok && v != "" {
		return v, nil
	}
	return "", ErrNone
}

// CheckFile refuses a secret file that others could read or write, and
// says how to fix it.
func CheckFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("password file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("password file %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: password file %s is readable or writable by others (mode %04o): run chmod 600 %s", ErrUnsafe, path, fi.Mode().Perm(), path)
	}
	return nil
}

func fromFile(path string) (string, error) {
	if err := CheckFile(path); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	b := make([]byte, maxSecret)
	n, _ := f.Read(b)
	v := firstLine(b[:n])
	if v == "" {
		return "", fmt.Errorf("password file %s is empty", path)
	}
	return v, nil
}

// fromCommand runs command with /bin/sh and returns the first line it
// prints. The command string is the person's own configuration; the secret
// it prints goes nowhere but back to the caller: never into another
// process's arguments, and the password bounceguard may have been given in
// its environment is not passed on to the command either.
func fromCommand(ctx context.Context, command, what string, timeout time.Duration) (string, error) {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdin = nil
	cmd.Env = environWithout(EnvPassword)
	var out bytes.Buffer
	cmd.Stdout = &limitWriter{w: &out, n: maxSecret}
	cmd.Stderr = os.Stderr // the helper's own prompts and errors, not the secret
	if err := cmd.Run(); err != nil {
		// The command line may itself hold a secret: do not quote it.
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s command did not finish within %s", what, timeout)
		}
		return "", fmt.Errorf("%s command failed: %w", what, err)
	}
	v := firstLine(out.Bytes())
	if v == "" {
		return "", fmt.Errorf("%s command printed nothing", what)
	}
	return v, nil
}

// environWithout is this process's environment less the variable name.
func environWithout(name string) []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// firstLine is the secret: the first line, without its line ending.
func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return strings.TrimRight(string(b), "\r")
}

type limitWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if len(q) > l.n {
		q = q[:l.n]
	}
	l.n -= len(q)
	if _, err := l.w.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}
