package bounce

import (
	"path/filepath"
	"testing"
)

// TestGatewayWrappedBounce: a gateway that forwards a bounce under a text
// naming nobody reports the recipients and the original of the bounce it
// carries.
func TestGatewayWrappedBounce(t *testing.T) {
	r := inspectFile(t, filepath.Join("testdata", "gateway-wrapped-dsn.eml"))
	if r.Kind == None || r.Original.MessageID != "wrapped-orig-1@example.jp" {
		t.Fatalf("kind %s format %q original %q", r.Kind, r.Format, r.Original.MessageID)
	}
	if len(r.Recipients) != 1 || r.Recipients[0].Address != "mark@example.org" || r.Recipients[0].Status != "5.1.1" {
		t.Errorf("recipients %+v", r.Recipients)
	}
}
