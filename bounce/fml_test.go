package bounce

import "testing"

func TestFML(t *testing.T) {
	checkMTA(t, []mtaCase{
		// The refused post's author hears of it: a bounce, the list as
		// the recipient; References names the post.
		{"fml-not-member.eml", Bounce, "fml", "",
			[]mtaRecipient{{"hiking@example.org", "failed", "5.7.1"}}},
		// An alert to the list's maintainer is no bounce of their mail.
		{"fml-loop-alert.eml", None, "", "", nil},
	})
	r := inspectFile(t, "testdata/fml-not-member.eml")
	if len(r.Original.References) != 1 || r.Original.References[0] != "fml-orig-1@example.net" {
		t.Errorf("references %q", r.Original.References)
	}
}
