package classifier

import "strings"

// identity is who the person is, as far as the classifier knows: their
// addresses and the domains of those addresses.
type identity struct {
	addrs   map[string]bool
	domains map[string]bool
	learned bool // from the sent index rather than given
}

// ownIdentity returns the person's addresses: Addresses when given, else
// every From address of the sent index. Taking every one errs towards
// keeping: an address counted as the person's can only make a signature
// count as theirs.
func (c *Classifier) ownIdentity() identity {
	id := identity{addrs: map[string]bool{}, domains: map[string]bool{}}
	addrs := c.Addresses
	if len(addrs) == 0 && c.Sent != nil {
		for a := range c.Sent.OwnAddresses() {
			addrs = append(addrs, a)
		}
		id.learned = true
	}
	for _, a := range addrs {
		a = strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>"))
		at := strings.LastIndexByte(a, '@')
		if at <= 0 || at == len(a)-1 {
			continue
		}
		id.addrs[a] = true
		id.domains[a[at+1:]] = true
	}
	return id
}

// known reports whether any address of the person is known.
func (id identity) known() bool { return len(id.addrs) > 0 }

// source says where the addresses came from, for reasons.
func (id identity) source() string {
	if id.learned {
		return "the From addresses of your sent mail"
	}
	return "--address"
}

// ownsDomain reports whether d is one of the person's domains or a parent
// of one (a signature of example.com covers mail from lists.example.com:
// only example.com's key can make it).
func (id identity) ownsDomain(d string) (string, bool) {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if d == "" || !strings.Contains(d, ".") {
		return "", false
	}
	for own := range id.domains {
		if own == d || strings.HasSuffix(own, "."+d) {
			return own, true
		}
	}
	return "", false
}

// domainOf returns the domain of an addr-spec, lower case.
func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(addr[at+1:])
}
