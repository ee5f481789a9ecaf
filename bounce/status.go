package bounce

import "strings"

// StatusFromText returns the first enhanced status code (RFC 3463, e.g.
// "5.1.1") in s, or "" when there is none.
func StatusFromText(s string) string {
	for i := 0; i+4 < len(s); i++ {
		c := s[i]
		if (c != '2' && c != '4' && c != '5') || s[i+1] != '.' {
			continue
		}
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
			continue
		}
		j := i + 2
		n := digits(s, j, 3)
		if n == 0 || j+n >= len(s) || s[j+n] != '.' {
			continue
		}
		k := j + n + 1
		m := digits(s, k, 3)
		if m == 0 || (k+m < len(s) && (isDigit(s[k+m]) || s[k+m] == '.' && k+m+1 < len(s) && isDigit(s[k+m+1]))) {
			continue
		}
		return s[i : k+m]
	}
	return ""
}

func digits(s string, at, max int) int {
	n := 0
	for at+n < len(s) && n < max && isDigit(s[at+n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hasAny reports whether s contains any of subs.
func hasAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// lowerASCII lower-cases the ASCII letters of s only, so that an index
// into the result is an index into s (strings.ToLower changes the length
// of some runes and of invalid UTF-8). The markers searched for are
// written in lower case.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// firstMarker returns where the earliest of markers occurs in lower, or -1.
func firstMarker(lower string, markers []string) int {
	at := -1
	for _, mk := range markers {
		// Only an earlier start can win: search no further than that.
		in := lower
		if at >= 0 {
			in = lower[:min(len(lower), at+len(mk)-1)]
		}
		if i := strings.Index(in, mk); i >= 0 {
			at = i
		}
	}
	return at
}

// containsFold reports whether s contains sub, folding ASCII letters only;
// sub is written in lower case. It spares a header its lower-cased copy.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	first, firstUpper := sub[0], sub[0]
	if 'a' <= first && first <= 'z' {
		firstUpper = first - 'a' + 'A'
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i] != first && s[i] != firstUpper {
			continue
		}
		j := 1
		for j < len(sub) && lowerByte(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix folding ASCII letters; prefix is
// written in lower case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && containsFold(s[:len(prefix)], prefix)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
