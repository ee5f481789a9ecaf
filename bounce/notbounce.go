package bounce

import "strings"

// notBounce recognises messages that look like reports but are not
// bounces, so no decoder sees them: read receipts (RFC 8098) and abuse
// feedback reports (RFC 5965, and Amazon SES's JSON complaints), which go
// to the real sender and are no backscatter.
func notBounce(in *input) bool {
	if in.ctype == "multipart/report" {
		switch strings.ToLower(in.param("report-type")) {
		case "disposition-notification", "feedback-report", "tlsrpt":
			return true
		}
	}
	for _, p := range in.m.Parts {
		switch p.MediaType {
		case "message/disposition-notification", "message/feedback-report", "message/global-disposition-notification":
			return true
		}
	}
	return sesComplaint(in) || plainReceipt(in)
}
