// Package testdovecot starts a throwaway Dovecot 2.3 IMAP server on 127.0.0.1
// for integration tests, and fills its Maildirs directly.
//
// One server is meant to be started per test package (from TestMain): start-up
// takes a fraction of a second but a clean stop takes a few seconds.
package testdovecot

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RequireEnv is the environment variable that turns "dovecot is not
// installed" from a reason to skip into a failure (CI sets it after installing
// dovecot-imapd).
const RequireEnv = "BOUNCEGUARD_REQUIRE_DOVECOT"

// ErrNotInstalled is returned by Start when no dovecot binary is on PATH.
var ErrNotInstalled = errors.New("dovecot is not installed (apt-get install dovecot-imapd)")

// Required reports whether the environment demands a real Dovecot, so that a
// missing one must fail the tests instead of skipping them.
func Required() bool {
	return os.Getenv(RequireEnv) == "1"
}

// Options configure a test server.
type Options struct {
	// TLS enables STARTTLS on the plain port and adds an implicit-TLS port,
	// both with a freshly generated self-signed certificate for 127.0.0.1.
	TLS bool
	// SpecialUse declares mailboxes with a SPECIAL-USE attribute, e.g.
	// {"Outgoing": `\Sent`}. The mailboxes are not created.
	SpecialUse map[string]string
}

// Server is a running Dovecot instance.
type Server struct {
	// Root is the directory holding the configuration, the mail and the log.
	Root string
	// Port is the plain (and STARTTLS) IMAP port on 127.0.0.1.
	Port int
	// TLSPort is the implicit-TLS port, zero without Options.TLS.
	TLSPort int
	// CAFile is the PEM file of the self-signed certificate, empty without
	// Options.TLS.
	CAFile string

	cmd      *exec.Cmd
	exited   chan struct{}
	uid, gid int

	mu  sync.Mutex
	seq int
}

// Start writes a configuration under a new directory in /tmp (socket paths
// must stay short), starts dovecot in the foreground and waits until it greets.
func Start(opts Options) (*Server, error) {
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		return nil, ErrNotInstalled
	}
	root, err := os.MkdirTemp("/tmp", "dv")
	if err != nil {
		return nil, fmt.Errorf("creating dovecot root: %w", err)
	}
	s := &Server{Root: root, exited: make(chan struct{})}
	if err := s.setup(opts); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	s.cmd = exec.Command(bin, "-F", "-c", filepath.Join(root, "dovecot.conf"))
	s.cmd.Dir = root
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("starting dovecot: %w", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitGreeting(10 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) setup(opts Options) error {
	internal, err := s.accounts()
	if err != nil {
		return err
	}
	// The mail processes run as s.uid and must reach ROOT/mail.
	if err := os.Chmod(s.Root, 0o755); err != nil {
		return fmt.Errorf("opening dovecot root: %w", err)
	}
	if err := s.mkdir(filepath.Join(s.Root, "mail")); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(s.Root, "users"), 0o755); err != nil {
		return fmt.Errorf("creating users directory: %w", err)
	}
	if s.Port, err = freePort(); err != nil {
		return err
	}
	ssl := "ssl = no\n"
	if opts.TLS {
		if s.TLSPort, err = freePort(); err != nil {
			return err
		}
		certFile, keyFile := filepath.Join(s.Root, "cert.pem"), filepath.Join(s.Root, "key.pem")
		if err := writeSelfSigned(certFile, keyFile); err != nil {
			return err
		}
		s.CAFile = certFile
		ssl = fmt.Sprintf("ssl = yes\nssl_cert = <%s\nssl_key = <%s\n", certFile, keyFile)
	}
	conf := config(s.Root, internal, s.uid, s.gid, s.Port, s.TLSPort, ssl, opts.SpecialUse)
	if err := os.WriteFile(filepath.Join(s.Root, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		return fmt.Errorf("writing dovecot.conf: %w", err)
	}
	return nil
}

// accounts picks the system user the mail processes run as: the current user,
// or Debian's "dovecot" user when running as root (Dovecot refuses mail
// access as root).
func (s *Server) accounts() (string, error) {
	name := "dovecot"
	if os.Getuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return "", fmt.Errorf("looking up current user: %w", err)
		}
		name = u.Username
	}
	u, err := user.Lookup(name)
	if err != nil {
		return "", fmt.Errorf("looking up user %q for dovecot: %w", name, err)
	}
	if s.uid, err = strconv.Atoi(u.Uid); err != nil {
		return "", fmt.Errorf("uid of %q: %w", name, err)
	}
	if s.gid, err = strconv.Atoi(u.Gid); err != nil {
		return "", fmt.Errorf("gid of %q: %w", name, err)
	}
	return name, nil
}

func config(root, internal string, uid, gid, port, tlsPort int, ssl string, specialUse map[string]string) string {
	var mailboxes strings.Builder
	for name, use := range specialUse {
		fmt.Fprintf(&mailboxes, "  mailbox %q {\n    special_use = %s\n  }\n", name, use)
	}
	imaps := "port = 0"
	if tlsPort != 0 {
		imaps = fmt.Sprintf("address = 127.0.0.1\n    port = %d\n    ssl = yes", tlsPort)
	}
	return fmt.Sprintf(`instance_name = dovecot-test-%[3]d
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
%[7]sdisable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[1]s/mail/%%u/Maildir
default_internal_user = %[2]s
default_internal_group = %[2]s
default_login_user = %[2]s
first_valid_uid = 1
mail_fsync = never
mail_max_userip_connections = 100
shutdown_clients = yes
namespace inbox {
  inbox = yes
  separator = /
%[8]s}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users/%%u
}
userdb {
  driver = static
  args = uid=%[4]d gid=%[5]d home=%[1]s/mail/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener imaps {
    %[6]s
  }
}
service anvil {
  chroot =
}
service pop3-login {
  chroot =
}
service submission-login {
  chroot =
}
`, root, internal, port, uid, gid, imaps, ssl, mailboxes.String())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitGreeting(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("dovecot exited during start-up: %s", s.Log())
		default:
		}
		conn, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if rerr == nil && strings.HasPrefix(line, "* OK") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("dovecot did not greet on %s within %s: %s", s.Addr(), limit, s.Log())
}

// Addr is the host:port of the plain (and STARTTLS) listener.
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
}

// Log returns the server log, for test failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Root, "dovecot.log"))
	return string(b)
}

// Stop terminates dovecot, waits for it to exit, and removes its directory.
// The master stops its services before it exits.
func (s *Server) Stop() error {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			return fmt.Errorf("dovecot did not stop within 10s after SIGTERM; killed its master, services may linger: %s", s.Log())
		}
	}
	return os.RemoveAll(s.Root)
}

// AddUser adds a user with a plain-text password. Each user has a passwd-file
// of their own: Dovecot re-reads a changed passwd-file at most once a second,
// so a shared one would make a login right after AddUser fail at random.
func (s *Server) AddUser(name, password string) error {
	if name == "" || strings.ContainsAny(name, ":\n/%") || strings.HasPrefix(name, ".") || strings.ContainsAny(password, ":\n") {
		return fmt.Errorf("user %q: name or password holds ':', '/', '%%' or a newline", name)
	}
	path := filepath.Join(s.Root, "users", name)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("user %q exists already", name)
	}
	line := fmt.Sprintf("%s:{PLAIN}%s\n", name, password)
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		return fmt.Errorf("writing passwd-file of %s: %w", name, err)
	}
	return s.mkdirAll(filepath.Join(s.Root, "mail", name, "Maildir"), "cur", "new", "tmp")
}

// ForPackage starts the one server a test package shares, for its TestMain
// (call flag.Parse first). It returns nil and no error when the package's
// tests must skip: dovecot is not installed and not Required, or the test
// binary is a fuzzing worker, which needs no server.
func ForPackage(opts Options) (*Server, error) {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return nil, nil
	}
	srv, err := Start(opts)
	if errors.Is(err, ErrNotInstalled) && !Required() {
		return nil, nil
	}
	return srv, err
}
