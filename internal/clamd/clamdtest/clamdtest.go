// Package clamdtest starts a throwaway ClamAV daemon on 127.0.0.1 for
// integration tests. It loads only the signatures a test hands it, so it
// needs neither freshclam nor a network, and it never detects EICAR (which
// would make a developer's own antivirus flag the repository).
//
// Start one server per test package (from TestMain): clamd takes a moment to
// load even an empty engine.
package clamdtest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RequireEnv is the environment variable that turns "clamd is not
// installed" from a reason to skip into a failure (CI sets it after
// installing clamav-daemon).
const RequireEnv = "BOUNCEGUARD_REQUIRE_CLAMD"

// ErrNotInstalled is returned by Start when no clamd binary is found.
var ErrNotInstalled = errors.New("clamd is not installed (apt-get install clamav-daemon)")

// Required reports whether the environment demands a real clamd.
func Required() bool {
	return os.Getenv(RequireEnv) == "1"
}

// Signature is a body signature: clamd reports Name (with clamd's
// ".UNOFFICIAL" suffix for a database it did not sign) for any file that
// contains Data.
type Signature struct {
	Name string
	Data []byte
}

// Options configure a test server.
type Options struct {
	// StreamMaxLength is clamd's limit on one INSTREAM, e.g. "1M"; empty
	// keeps clamd's default (25M).
	StreamMaxLength string
}

// Server is a running clamd.
type Server struct {
	// Addr is the server's address in the form the clamd client takes,
	// "tcp://127.0.0.1:PORT".
	Addr string
	// Root is the directory holding the configuration, database and log.
	Root string
	// StartTime is how long clamd took to answer its first PING.
	StartTime time.Duration

	cmd    *exec.Cmd
	exited chan struct{}
}

// binary finds clamd; Debian installs it in /usr/sbin, which is not on an
// ordinary user's PATH.
func binary() (string, error) {
	if p, err := exec.LookPath("clamd"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/clamd"); err == nil {
		return "/usr/sbin/clamd", nil
	}
	return "", ErrNotInstalled
}

// Start writes a configuration and a signature database under a new
// temporary directory, starts clamd in the foreground on a free port and
// waits (up to a minute) until it answers PING.
func Start(sigs []Signature, opts Options) (*Server, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, errors.New("starting clamd: no signatures (clamd refuses an empty database)")
	}
	root, err := os.MkdirTemp("", "clamdtest")
	if err != nil {
		return nil, fmt.Errorf("creating clamd root: %w", err)
	}
	s, err := start(bin, root, sigs, opts)
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	return s, nil
}

func start(bin, root string, sigs []Signature, opts Options) (*Server, error) {
	db := filepath.Join(root, "db")
	if err := os.Mkdir(db, 0o755); err != nil {
		return nil, fmt.Errorf("creating clamd database folder: %w", err)
	}
	// An .ndb line is Name:TargetType:Offset:HexSignature; target type 0
	// and offset * match the bytes anywhere in any file.
	var ndb bytes.Buffer
	for _, sig := range sigs {
		if sig.Name == "" || strings.ContainsAny(sig.Name, ":\n") || len(sig.Data) < 4 {
			return nil, fmt.Errorf("signature %q: want a name without ':' and at least 4 bytes of data", sig.Name)
		}
		fmt.Fprintf(&ndb, "%s:0:*:%s\n", sig.Name, hex.EncodeToString(sig.Data))
	}
	if err := os.WriteFile(filepath.Join(db, "bounceguard-test.ndb"), ndb.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("writing clamd signatures: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(root, "clamd.conf")
	cfg := fmt.Sprintf(`Foreground yes
TCPAddr 127.0.0.1
TCPSocket %d
DatabaseDirectory %s
LogFile %s
PidFile %s
`, port, db, filepath.Join(root, "clamd.log"), filepath.Join(root, "clamd.pid"))
	if opts.StreamMaxLength != "" {
		cfg += "StreamMaxLength " + opts.StreamMaxLength + "\n"
	}
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("writing clamd.conf: %w", err)
	}
	out, err := os.Create(filepath.Join(root, "clamd.out"))
	if err != nil {
		return nil, fmt.Errorf("creating clamd output file: %w", err)
	}
	defer out.Close()
	cmd := exec.Command(bin, "--config-file="+conf)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting clamd: %w", err)
	}
	s := &Server{
		Addr:   fmt.Sprintf("tcp://127.0.0.1:%d", port),
		Root:   root,
		cmd:    cmd,
		exited: make(chan struct{}),
	}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(time.Minute); ; {
		if ping(addr) == nil {
			s.StartTime = time.Since(begin)
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("clamd exited during start-up: %s", s.logTail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.Stop()
			return nil, fmt.Errorf("clamd did not answer PING within a minute: %s", s.logTail())
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ping speaks just enough of the protocol to see clamd is ready; the
// clamd package's client is what the tests exercise.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(conn, 64))
	if err != nil {
		return err
	}
	if string(bytes.TrimRight(b, "\x00\n")) != "PONG" {
		return fmt.Errorf("answer to PING %q", b)
	}
	return nil
}

func (s *Server) logTail() string {
	var all []byte
	for _, name := range []string{"clamd.out", "clamd.log"} {
		b, _ := os.ReadFile(filepath.Join(s.Root, name))
		all = append(all, b...)
	}
	if len(all) > 2000 {
		all = all[len(all)-2000:]
	}
	return strings.TrimSpace(string(all))
}

// Stop ends clamd (SIGTERM, then SIGKILL after ten seconds) and removes its
// directory. It is safe to call more than once.
func (s *Server) Stop() error {
	if s.cmd.Process != nil {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.exited
			}
		}
	}
	if err := os.RemoveAll(s.Root); err != nil {
		return fmt.Errorf("removing clamd root: %w", err)
	}
	return nil
}
