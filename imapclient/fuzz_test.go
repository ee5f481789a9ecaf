package imapclient

import (
	"testing"

	"github.com/emersion/go-imap/v2"
)

func FuzzUIDList(f *testing.F) {
	f.Add(uint32(1), uint32(5), uint32(9), uint32(9), 10)
	f.Add(uint32(1), uint32(0xffffffff), uint32(3), uint32(1), 1000)
	f.Add(uint32(0), uint32(4), uint32(7), uint32(7), 5)
	f.Fuzz(func(t *testing.T, a, b, c, d uint32, limit int) {
		if limit < 0 || limit > 1<<16 {
			return
		}
		set := imap.UIDSet{{Start: imap.UID(a), Stop: imap.UID(b)}, {Start: imap.UID(c), Stop: imap.UID(d)}}
		uids, err := uidList(set, limit)
		if err == nil && len(uids) > limit {
			t.Errorf("uidList returned %d UIDs over the limit %d", len(uids), limit)
		}
	})
}
