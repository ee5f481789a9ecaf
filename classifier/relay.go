package classifier

import (
	"fmt"
	"path"
	"strings"

	"github.com/bounceguard/bounceguard/bounce"
)

// Bounds on reading Received fields: real chains are a dozen fields of a
// few hundred bytes.
const (
	maxReceivedFields = 64
	maxReceivedBytes  = 4096
	maxReceivedHosts  = 16 // names taken from one field
)

// ValidRelay reports whether glob is a usable relay pattern: path.Match
// syntax, matched against lower-case host names and bare IP addresses.
func ValidRelay(glob string) error {
	if strings.TrimSpace(glob) == "" {
		return fmt.Errorf("relay pattern is empty")
	}
	if _, err := path.Match(strings.ToLower(glob), ""); err != nil {
		return fmt.Errorf("relay pattern %q: %w", glob, err)
	}
	return nil
}

// relaySignals looks for the person's own relays in the original's
// Received chain. bounce has already unfolded the fields and removed the
// '>' quoting of an inline copy, so Original.Header serves for all three
// ways an original comes back.
func (c *Classifier) relaySignals(e *evidence, r *bounce.Report) {
	if len(c.Relays) == 0 {
		return
	}
	received := r.Original.Header.Values("Received")
	if len(received) == 0 {
		e.add("relay", Neutral, "the original came back without Received fields: nothing to compare with --relay")
		return
	}
	if len(received) > maxReceivedFields {
		received = received[:maxReceivedFields]
	}
	for _, v := range received {
		from, by := receivedHosts(v)
		for _, h := range by {
			if g, ok := c.matchRelay(h); ok {
				e.add("relay", SentStrong, "the original passed through your relay %s (Received: by %s, matches --relay %s)", h, h, g)
				return
			}
		}
		for _, h := range from {
			if g, ok := c.matchRelay(h); ok {
				e.add("relay", SentStrong, "the original passed through your relay %s (Received: from %s, matches --relay %s)", h, h, g)
				return
			}
		}
	}
	e.add("relay", Neutral, "none of the original's %d Received fields names one of your relays (%s)", len(received), strings.Join(c.Relays, ", "))
}

func (c *Classifier) matchRelay(host string) (string, bool) {
	for _, g := range c.Relays {
		if ok, _ := path.Match(strings.ToLower(g), host); ok {
			return g, true
		}
	}
	return "", false
}

// receivedHosts returns the host names and addresses a Received field
// names: after "from" the name the client gave and those in the comment
// that follows (the reverse-DNS name, the [address], helo=…), after "by"
// the receiving host. Everything after the ';' (the date) is ignored.
// Names are lower case, without brackets, ports or a trailing dot.
//
// RFC 5321 section 4.4 gives the form; real fields stray from it (Exim
// puts the address first, Exchange adds its own comments), so this reads
// words, not a grammar.
func receivedHosts(v string) (from, by []string) {
	if len(v) > maxReceivedBytes {
		v = v[:maxReceivedBytes]
	}
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	words := receivedWords(strings.ToLower(v))
	depth := 0
	for i := 0; i < len(words) && len(from)+len(by) < 2*maxReceivedHosts; i++ {
		switch w := words[i]; {
		case w == "(":
			depth++
		case w == ")":
			depth = max(depth-1, 0)
		case depth > 0:
			// Inside a comment not right after "from": "(from userid 1000)".
		case w == "from":
			if i+1 < len(words) && words[i+1] != "(" {
				from = appendHost(from, words[i+1])
				i++
			}
			// The comments right after name the peer as the server saw
			// it: "(rdns [address])", "(helo=name)".
			for i+1 < len(words) && words[i+1] == "(" {
				d := 0
				for i++; i < len(words); i++ {
					if words[i] == "(" {
						d++
					} else if words[i] == ")" {
						if d--; d == 0 {
							break
						}
					} else {
						from = appendHost(from, words[i])
					}
				}
			}
		case w == "by":
			if i+1 < len(words) {
				by = appendHost(by, words[i+1])
				i++
			}
		}
	}
	return from, by
}

// receivedWords splits on white space, keeping parentheses as words of
// their own; nested comments are flattened.
func receivedWords(v string) []string {
	var words []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			words = append(words, v[start:end])
			start = -1
		}
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ' ', '\t', '\r', '\n':
			flush(i)
		case '(', ')':
			flush(i)
			words = append(words, string(c))
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(v))
	return words
}

// appendHost cleans one word into a host name or address and appends it
// when it looks like one.
func appendHost(hosts []string, w string) []string {
	if len(hosts) >= maxReceivedHosts {
		return hosts
	}
	w = strings.TrimPrefix(w, "helo=")
	w = strings.TrimPrefix(w, "ehlo=")
	w = strings.Trim(w, ",;<>")
	if strings.HasPrefix(w, "[") {
		// [192.0.2.1], [192.0.2.1]:25, [ipv6:2001:db8::1]
		if end := strings.IndexByte(w, ']'); end > 0 {
			w = w[1:end]
		}
		w = strings.TrimPrefix(w, "ipv6:")
	}
	w = strings.TrimSuffix(w, ".")
	// A host name has a dot, an address a dot or a colon; that leaves out
	// "unknown", "localhost", "helo" and the other words of comments.
	if !strings.ContainsAny(w, ".:") || strings.ContainsAny(w, "=()\"'") {
		return hosts
	}
	return append(hosts, w)
}
