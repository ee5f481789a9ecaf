package bounce

import "testing"

func TestYahoo(t *testing.T) {
	checkVendorSample(t, vendorSample{"yahoo-failure.eml", "bounce", "yahoo", "1234567.890.1773223197@mail.yahoo.com",
		[]string{"hank@full.example 5.2.2"}})
}
