package bounce

import "testing"

func TestEZweb(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"ezweb-bounce.eml", Bounce, "ezweb", "",
			[]mtaRecipient{{"chika@ezweb.ne.jp", "failed", "5.1.1"}}},
	})
}
