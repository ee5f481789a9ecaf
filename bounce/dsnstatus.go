package bounce

// refineStatus returns the Status to report for a DSN recipient. A
// reporting MTA that relays a remote server's refusal often fills the
// Status field with its catch-all X.0.0 ("other undefined status", RFC
// 3463 section 3.1), which names only the class; the remote server's reply
// in the Diagnostic-Code says what went wrong. Its code refines the
// Status, within the class the MTA reported: the MTA knows whether it has
// given up, the remote server's reply does not. Words alone do not: the
// MTA chose X.0.0 having read them.
func refineStatus(status, diag string) string {
	if len(status) != 5 || status[1:] != ".0.0" || diag == "" {
		return status
	}
	if c := StatusFromText(diag); c != "" && c[0] == status[0] {
		return c
	}
	return status
}
