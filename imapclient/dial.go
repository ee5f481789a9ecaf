package imapclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Dial connects, protects the connection as cfg.TLS says, logs in and reads
// the capabilities the server offers once authenticated.
func Dial(ctx context.Context, cfg Config) (*Session, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	var tlsConf *tls.Config
	if cfg.TLS != TLSNone {
		if tlsConf, err = clientTLSConfig(cfg); err != nil {
			return nil, err
		}
	}

	dialCtx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	target := addr
	if cfg.TLS == TLSNone {
		if target, err = plaintextTarget(dialCtx, cfg); err != nil {
			return nil, err
		}
	}
	dialer := &net.Dialer{Timeout: cfg.DialTimeout}
	conn, err := dialer.DialContext(dialCtx, "tcp", target)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w (check --host and --port)", addr, err)
	}
	cfg.Logger.Debug("connected", "addr", addr, "tls", string(cfg.TLS))

	newMail := make(chan struct{}, 1)
	c, err := startClient(dialCtx, conn, cfg, tlsConf, newMailHandler(newMail))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("setting up the IMAP connection to %s: %w", addr, err)
	}
	s := &Session{c: c, cfg: cfg, log: cfg.Logger, newMail: newMail}
	if err := s.login(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// startClient runs the TLS handshake (or STARTTLS) and waits for the
// greeting, all bounded by ctx: go-imap's own calls take no context, so the
// connection is closed when ctx expires.
func startClient(ctx context.Context, conn net.Conn, cfg Config, tlsConf *tls.Config, unilateral *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: tlsConf, UnilateralDataHandler: unilateral}
	var c *imapclient.Client
	err := within(ctx, func() { conn.Close() }, func() error {
		switch cfg.TLS {
		case TLSImplicit:
			tc := tls.Client(conn, tlsConf)
			if err := tc.HandshakeContext(ctx); err != nil {
				return explainTLS(cfg, err)
			}
			c = imapclient.New(tc, opts)
		case TLSStartTLS:
			var err error
			if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
				return explainTLS(cfg, err)
			}
			return nil
		default:
			c = imapclient.New(conn, opts)
		}
		if err := c.WaitGreeting(); err != nil {
			return fmt.Errorf("waiting for the greeting: %w", err)
		}
		return nil
	})
	if err != nil && c != nil {
		c.Close()
	}
	return c, err
}

// clientTLSConfig trusts the system roots plus cfg.CAFile. Verification is
// never turned off: a private CA or self-signed server goes in CAFile.
func clientTLSConfig(cfg Config) (*tls.Config, error) {
	conf := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, NextProtos: []string{"imap"}}
	if cfg.CAFile == "" {
		return conf, nil
	}
	pemBytes, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading --tls-ca file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("--tls-ca file %s holds no PEM certificate", cfg.CAFile)
	}
	conf.RootCAs = pool
	return conf, nil
}

// explainTLS turns handshake failures into errors that say what to do.
func explainTLS(cfg Config, err error) error {
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &unknown):
		if cfg.CAFile != "" {
			return fmt.Errorf("certificate not trusted, not even with --tls-ca %s: %w", cfg.CAFile, err)
		}
		return fmt.Errorf("certificate not trusted: pass --tls-ca FILE for a private CA or self-signed server: %w", err)
	case errors.As(err, &name):
		return fmt.Errorf("certificate is not for %q: connect with --host set to a name it was issued for: %w", cfg.Host, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("certificate invalid (expired or misused): %w", err)
	case errors.As(err, &record):
		return fmt.Errorf("server did not answer in TLS (if this port expects STARTTLS, pass --tls starttls): %w", err)
	}
	return fmt.Errorf("TLS handshake: %w", err)
}

// plaintextTarget resolves cfg.Host and refuses a non-loopback address unless
// InsecurePlaintext is set. It returns the address to dial, so the check and
// the connection use the same resolution.
func plaintextTarget(ctx context.Context, cfg Config) (string, error) {
	port := strconv.Itoa(cfg.Port)
	if cfg.InsecurePlaintext {
		return net.JoinHostPort(cfg.Host, port), nil
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, cfg.Host)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", cfg.Host, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return "", fmt.Errorf("refusing to send the password unencrypted to %s (%s is not a loopback address): use --tls implicit or --tls starttls, or pass --insecure-plaintext to allow it", cfg.Host, ip.IP)
		}
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("resolving %s: no addresses", cfg.Host)
	}
	return net.JoinHostPort(ips[0].IP.String(), port), nil
}

// within runs fn, and calls stop (which must make fn return) if ctx ends
// first.
func within(ctx context.Context, stop func(), fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		stop()
		<-done
		return ctx.Err()
	}
}
