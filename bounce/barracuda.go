package bounce

import "strings"

// The Barracuda Spam Firewall tells the sender of mail it blocked with a
// standard DSN under the fixed subject "**Message you sent blocked by our
// bulk email filter**"; its text, often base64, says "Your message to: …
// was blocked by our Spam Firewall."

// matchBarracuda: Barracuda's fixed subject.
func matchBarracuda(in *input) bool {
	return strings.Contains(in.subject, "message you sent blocked by our bulk email filter")
}

// decodeBarracuda reads Barracuda's DSN.
func decodeBarracuda(in *input) *Report {
	r := reportFromDSN(in)
	if r == nil {
		return nil
	}
	preferDiagnosticCode(r)
	return r
}
