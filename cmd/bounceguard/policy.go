package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/internal/clamd"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// policyFlags are the flags that shape decisions, shared by every command
// that classifies: scan, check, explain, once (and run).
type policyFlags struct {
	quarantineUnknown bool
	addresses         []string
	relays            relayList
	noDNS             bool
	dnsTimeout        time.Duration
	batv              batvKeyFile
	grace             time.Duration
	clamd             string
	clamdFailClosed   bool

	// dns is made once, so that its cache lasts across the passes of run.
	dns classifier.Resolver
}

func (p *policyFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&p.quarantineUnknown, "quarantine-unknown", false, "treat bounce-unknown (no evidence either way) as quarantine too")
	fs.StringArrayVar(&p.addresses, "address", nil, "your own address (repeatable); default: the From addresses of your sent mail")
	fs.Var(&p.relays, "relay", "host name or address pattern (`HOSTGLOB`) of your own outgoing mail relay, e.g. '*.mail.example.com' (repeatable; relay = [...] in the config file): bounces of mail that passed through one are kept")
	fs.BoolVar(&p.noDNS, "no-dns", false, "no DNS look-ups: DKIM signatures of returned mail are not checked (fully offline)")
	fs.DurationVar(&p.dnsTimeout, "dns-timeout", classifier.DefaultDNSTimeout, "longest wait for one DNS answer; a look-up that fails is no evidence either way")
	fs.DurationVar(&p.grace, "grace", 10*time.Minute, "a bounce of mail sent less than this long ago is not judged on its absence from the sent folder yet (mail clients save the sent copy after sending): kept, and decided again on a later pass")
	fs.StringVar(&p.clamd, "clamd", "", "scan every message with clamd at `ADDR` (tcp://127.0.0.1:3310 or unix:/run/clamav/clamd.ctl); if clamd is down, messages are judged without it and the output says so")
	fs.BoolVar(&p.clamdFailClosed, "clamd-fail-closed", false, "if clamd is down, keep messages undecided (once and run decide them again later; check exits 75) instead of judging without it")
	fs.Var(&p.batv, "batv-key", "file holding the BATV key your server tags outgoing envelope senders with (prvs=); only if every message you send leaves through that server")
}

// classifier is the classifier these flags describe, deciding against the
// sent index sent (nil when there is none).
func (p *policyFlags) classifier(sent *sentindex.Index) *classifier.Classifier {
	if !p.noDNS && p.dns == nil {
		p.dns = classifier.NewDNSCache(net.DefaultResolver, p.dnsTimeout, 0)
	}
	c := &classifier.Classifier{
		Sent:              sent,
		QuarantineUnknown: p.quarantineUnknown,
		Addresses:         p.addresses,
		Relays:            p.relays,
		BATV:              p.batv.keys,
	}
	if !p.noDNS {
		c.DNS = p.dns
	}
	c.Grace = p.grace
	if p.clamd != "" {
		// The address was checked when the flags were validated.
		if cl, err := clamd.New(p.clamd); err == nil {
			c.Scanner, c.ScanFailClosed = cl, p.clamdFailClosed
		}
	}
	return c
}

// validate checks what the flags cannot check one by one.
func (p *policyFlags) validate() error {
	if p.clamd != "" {
		if _, err := clamd.New(p.clamd); err != nil {
			return fmt.Errorf("--clamd: %w", err)
		}
	}
	return nil
}

// relayList is --relay: patterns checked when the flag is parsed, so that
// a typo is a usage error rather than a relay that never matches. Its
// type name ends in "Array" and it is a pflag.SliceValue, so that the
// configuration file takes a list for it.
type relayList []string

func (r *relayList) String() string { return strings.Join(*r, ",") }
func (r *relayList) Type() string   { return "stringArray" }
func (r *relayList) Set(v string) error {
	return r.Append(v)
}

// Append adds one pattern (pflag.SliceValue).
func (r *relayList) Append(v string) error {
	if err := classifier.ValidRelay(v); err != nil {
		return err
	}
	*r = append(*r, strings.ToLower(v))
	return nil
}

// Replace sets the patterns to vs (pflag.SliceValue).
func (r *relayList) Replace(vs []string) error {
	var n relayList
	for _, v := range vs {
		if err := n.Append(v); err != nil {
			return err
		}
	}
	*r = n
	return nil
}

// GetSlice returns the patterns (pflag.SliceValue).
func (r *relayList) GetSlice() []string { return append([]string(nil), *r...) }

// batvKeyFile is --batv-key: the file is read when the flag is parsed, so
// a missing or empty key file stops the command before it decides
// anything — deciding without the key would call every bounce forged.
type batvKeyFile struct {
	path string
	keys *classifier.BATVKeys
}

func (b *batvKeyFile) String() string { return b.path }
func (b *batvKeyFile) Type() string   { return "FILE" }
func (b *batvKeyFile) Set(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading BATV key: %w", err)
	}
	keys, err := classifier.ParseBATVKeys(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	b.path, b.keys = path, keys
	return nil
}
