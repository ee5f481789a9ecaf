package bounce

import "testing"

func TestExchange(t *testing.T) {
	for _, s := range []vendorSample{
		{"exchange-2003.eml", "bounce", "exchange", "20260303091440.77AB3@laptop.example.com",
			[]string{"bert@corp.example 5.1.1", "carla@corp.example 5.1.1"}},
		{"exchange-2010-html.eml", "bounce", "exchange", "meeting-2026-03-04@laptop.example.com",
			[]string{"dan@company.example 5.2.2"}},
	} {
		checkVendorSample(t, s)
	}
}

func TestExchangeText(t *testing.T) {
	check := func(name string, got []Recipient, want ...string) {
		t.Helper()
		var addrs []string
		for _, r := range got {
			addrs = append(addrs, r.Address+" "+StatusFromText(r.Diagnostic))
		}
		if len(addrs) != len(want) {
			t.Fatalf("%s: %q, want %q", name, addrs, want)
		}
		for i := range want {
			if addrs[i] != want[i] {
				t.Errorf("%s: %q, want %q", name, addrs, want)
			}
		}
	}
	check("admin block", adminBlockRecipients("Diagnostic information for administrators:\n\nGenerating server: x\n\na@b.example\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\nOriginal message headers:\n\nTo: c@d.example\n"),
		"a@b.example 5.1.1")
	check("french admin block", adminBlockRecipients("Informations de diagnostic pour les administrateurs :\n\nServeur de génération : x\n\nt@s.example\nRemote Server returned '550 5.1.1 RESOLVER'\n\nEn-têtes de message d'origine :\n"),
		"t@s.example 5.1.1")
	check("no block", adminBlockRecipients("Hello a@b.example"))
	check("2003 indented", exchange2003Recipients("The following recipient(s) could not be reached:\n\n      k@c.example on 4/29/01 11:34:45 PM\n            Recipient Not Found\n\n"),
		"k@c.example ")
	check("list", failedListRecipients("Delivery has failed to these recipients or groups:\n\nNeko<mailto:n@e.example>\nThe address was not found.\n"),
		"n@e.example ")
}
