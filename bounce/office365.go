package bounce

import "strings"

// Exchange Online (Office 365) writes Exchange 2007-style NDRs, see
// exchange.go, stamped with its cross-tenant header fields and sent from
// its own domains; Outlook.com (formerly Hotmail) writes standard DSNs from
// the Windows SMTP service, marked by X-DSNContext.

// microsoftDomains are the domains Microsoft's hosted mail sends NDRs from,
// or names its servers in.
var microsoftDomains = []string{
	"outlook.com", "hotmail.com", "onmicrosoft.com", "office365.com", "live.com", "msn.com",
	"exchangelabs.com", "outlook.office365.com",
}

// matchOffice365 looks only at the header: Outlook.com's X-DSNContext,
// or a mail system's sender with Exchange Online's cross-tenant fields (which
// people's mail carries too), a Microsoft domain or Message-ID.
func matchOffice365(in *input) bool {
	if in.has("X-DSNContext") {
		return true
	}
	if !in.fromDaemon() {
		return false
	}
	if in.has("X-MS-Exchange-CrossTenant-OriginalArrivalTime") || in.has("X-MS-Exchange-CrossTenant-FromEntityHeader") ||
		inMicrosoftDomain(in.from) {
		return true
	}
	id := strings.ToLower(strings.TrimRight(strings.TrimSpace(in.header("Message-ID")), ">"))
	return strings.HasSuffix(id, ".outlook.com")
}

// inMicrosoftDomain reports an address in one of microsoftDomains or a
// subdomain of one.
func inMicrosoftDomain(addr string) bool {
	_, dom, ok := strings.Cut(addr, "@")
	if !ok {
		return false
	}
	for _, d := range microsoftDomains {
		if dom == d || strings.HasSuffix(dom, "."+d) {
			return true
		}
	}
	return false
}

// decodeOffice365 reads an Exchange Online or Outlook.com NDR.
func decodeOffice365(in *input) *Report { return decodeMicrosoft(in) }
