package bounce

import (
	"path/filepath"
	"testing"
)

func TestAVNotice(t *testing.T) {
	for _, s := range []vendorSample{
		{"avnotice-symantec.eml", "av-notice", "av-notice", "", []string{"paralegal@lawfirm.example.com 5.7.0"}},
		{"avnotice-mcafee.eml", "av-notice", "av-notice", "001a01dcafd1$52c8a7f0$7b8e6a30@example.com", []string{"radiology@hospital.example.org 5.7.0"}},
		{"avnotice-trendmicro.eml", "av-notice", "av-notice", "5a90e3b7.41c2.ff01@example.com", []string{"warehouse@logistics.example.net 5.7.0"}},
		{"avnotice-mailmarshal.eml", "av-notice", "av-notice", "", []string{"planning@council.example.gov 5.7.0"}},
		{"avnotice-mailscanner.eml", "av-notice", "av-notice", "", []string{"registrar@uni.example.edu 5.7.0"}},
		// amavis writes a DSN: its recipients and status come from there.
		{"avnotice-amavis.eml", "av-notice", "av-notice", "3b7e1a90c5d2f4e6@example.com", []string{"members@coop.example.org 5.7.0"}},
		{"avnotice-sophos.eml", "av-notice", "av-notice", "", []string{"appointments@clinic.example.com 5.7.0"}},
		{"avnotice-clamav-milter.eml", "av-notice", "av-notice", "e40f19a2b6c8@example.com", []string{"office@school.example.net 5.7.0"}},
		{"avnotice-kaspersky.eml", "av-notice", "av-notice", "", []string{"buh@factory.example.ru 5.7.0"}},
		{"avnotice-generic.eml", "av-notice", "av-notice", "bagle.77120.pc@example.com", []string{"orders@printshop.example.com 5.7.0"}},
		{"avnotice-german.eml", "av-notice", "av-notice", "", []string{"kundenservice@stadtwerke.example.de 5.7.0"}},
		{"avnotice-french.eml", "av-notice", "av-notice", "", []string{"etat-civil@mairie.example.fr 5.7.0"}},
		// A security newsletter about a worm, an IT department's warning,
		// a bug tracker quoting a notice: none is a notice.
		{"trap-virus-newsletter.eml", "none", "", "", nil},
		{"trap-it-virus-warning.eml", "none", "", "", nil},
		{"trap-bugzilla-virus.eml", "none", "", "", nil},
	} {
		checkVendorSample(t, s)
	}
}

// TestAVFinding: the diagnostic is the scanner's line naming the virus.
func TestAVFinding(t *testing.T) {
	for file, want := range map[string]string{
		"avnotice-symantec.eml":      "Virus name: W32.Mydoom.A@mm",
		"avnotice-mailscanner.eml":   "Report: ClamAV: transcript.zip->transcript.scr was infected by Win.Trojan.Agent-1234",
		"avnotice-clamav-milter.eml": "contained Win.Trojan.Emotet-9850856-0 and has not been delivered.",
	} {
		r := inspectFile(t, filepath.Join("testdata", file))
		if len(r.Recipients) == 0 || r.Recipients[0].Diagnostic != want {
			t.Errorf("%s: recipients %+v, want diagnostic %q", file, r.Recipients, want)
		}
	}
}
