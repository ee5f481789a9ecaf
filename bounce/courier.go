package bounce

import "strings"

// The Courier mail server sends standard DSNs (MIME boundary "=_courier_0",
// subject "NOTICE: mail delivery status.") whose text says "This is a
// delivery status notification from mx.example.net, running the Courier
// mail server". Its Status field is a class of its own, 5.0.0 for every
// remote rejection; the remote server's code is in Diagnostic-Code.

// matchCourier: Courier's MIME boundary, or its subject from a mail system.
func matchCourier(in *input) bool {
	if strings.HasPrefix(in.boundary, "=_courier_") {
		return true
	}
	return in.subject == "notice: mail delivery status." && in.fromDaemon()
}

// decodeCourier reads Courier's DSN, preferring the remote server's code.
func decodeCourier(in *input) *Report {
	r := reportFromDSN(in)
	if r == nil {
		return nil
	}
	preferDiagnosticCode(r)
	return r
}
