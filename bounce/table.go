package bounce

// decoder is one format's recogniser. match is a cheap look at the header
// and structure; decode does the real work and returns nil when the message
// is not of its format after all, so the next decoder gets a turn.
type decoder struct {
	format string
	match  func(*input) bool
	decode func(*input) *Report
}

// decoders are tried in this order; the first whose decode returns a report
// claims the message. Vendor formats come before the generic RFC 3464
// reader, so a vendor's DSN is named for the vendor, and bounces before
// auto-replies, since many bounces carry Auto-Submitted too. Challenges
// and antivirus notices come before the generic decoder, which guesses at
// bounce formats no other decoder knows and would take them for bounces.
var decoders = []decoder{
	{"office365", matchOffice365, decodeOffice365},
	{"exchange", matchExchange, decodeExchange},
	{"gmail", matchGmail, decodeGmail},
	{"yahoo", matchYahoo, decodeYahoo},
	{"postfix", matchPostfix, decodePostfix},
	{"sendmail", matchSendmail, decodeSendmail},
	{"exim", matchExim, decodeExim},
	{"qmail", matchQmail, decodeQmail},
	{"dragonfly", matchDragonFly, decodeDragonFly},
	{"amazonworkmail", matchAmazonWorkMail, decodeAmazonWorkMail},
	{"amazonses", matchAmazonSES, decodeAmazonSES},
	{"courier", matchCourier, decodeCourier},
	{"barracuda", matchBarracuda, decodeBarracuda},
	{"amavis", matchAmavis, decodeAmavis},
	{"activehunter", matchActiveHunter, decodeActiveHunter},
	{"gmx", matchGMX, decodeUnitedInternet},
	{"einsundeins", matchEinsUndEins, decodeUnitedInternet},
	{"domino", matchDomino, decodeDomino},
	{"notes", matchNotes, decodeNotes},
	{"fml", matchFML, decodeFML},
	{"apachejames", matchApacheJames, decodeApacheJames},
	{"ezweb", matchEZweb, decodeEZweb},
	{"kddi", matchKDDI, decodeKDDI},
	{"netscape", matchNetscape, decodeNetscape},
	{"groupwise", matchGroupWise, decodeGroupWise},
	// (issue 5 group A: insert entries above this line)
	{"opensmtpd", matchOpenSMTPD, decodeOpenSMTPD},
	{"messagingserver", matchMessagingServer, decodeMessagingServer},
	{"mimecast", matchMimecast, decodeMimecast},
	{"mfilter", matchMFilter, decodeMFilter},
	{"mailmarshal", matchMailMarshal, decodeMailMarshal},
	{"imailserver", matchIMailServer, decodeIMailServer},
	{"verizon", matchVerizon, decodeVerizon},
	{"x3", matchX3, decodeX3},
	// (issue 5 group B: insert entries above this line)
	// Before rfc3464: amavis writes its virus notices as DSNs.
	{"challenge", isChallenge, decodeChallenge},
	{"av-notice", isAVNotice, decodeAVNotice},
	// (issue 5 group C: insert entries above this line)
	{"rfc3464", isDSN, decodeRFC3464},
	{"generic", matchGeneric, decodeGeneric},
	{"rfc3834", isAutoReply, decodeAutoReply},
}
