package bounce

import "strings"

// GMX (and its sister mail.com) bounce in United Internet's format (see
// einsundeins.go), from MAILER-DAEMON at a gmx domain, with X-GMX-Antispam
// and X-GMX-Antivirus fields of its own.

// matchGMX: GMX's own fields or domain on a United Internet bounce.
func matchGMX(in *input) bool {
	if in.header("X-UI-Out-Filterresults") == "" || !in.fromDaemon() {
		return false
	}
	_, dom, _ := strings.Cut(in.from, "@")
	return in.header("X-GMX-Antivirus") != "" || in.header("X-GMX-Antispam") != "" ||
		strings.HasPrefix(dom, "gmx.") || strings.Contains(dom, ".gmx.")
}
