package bounce

import "testing"

func TestOffice365(t *testing.T) {
	checkVendorSample(t, vendorSample{"office365-ndr.eml", "bounce", "office365", "inv-4711.1772712000@laptop.example.com",
		[]string{"erin@fabrikam.example 5.1.10"}})
}

func TestInMicrosoftDomain(t *testing.T) {
	for addr, want := range map[string]bool{
		"postmaster@outlook.com":              true,
		"postmaster@contoso.onmicrosoft.com":  true,
		"postmaster@notoutlook.com":           false,
		"postmaster@outlook.com.evil.example": false,
		"postmaster":                          false,
	} {
		if got := inMicrosoftDomain(addr); got != want {
			t.Errorf("inMicrosoftDomain(%q) = %v, want %v", addr, got, want)
		}
	}
}
