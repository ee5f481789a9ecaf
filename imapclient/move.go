package imapclient

import (
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// moveBatch is the most UIDs one MOVE (or COPY/STORE/UID EXPUNGE) carries.
// Servers pay for each MOVE about as much for one message as for hundreds
// (Dovecot rewrites its index of the whole mailbox), so moves are made in
// as few commands as keep a command line under about 8 KB even when no
// two UIDs are adjacent.
const moveBatch = 1000

// MoveMethod says how messages are moved on this server.
type MoveMethod int

// The move methods, safest first. None of them issues a plain EXPUNGE, which
// would also remove what the person's own client marked \Deleted.
const (
	// MoveByMove uses MOVE (RFC 6851).
	MoveByMove MoveMethod = iota + 1
	// MoveByCopyExpunge uses UID COPY, UID STORE +FLAGS.SILENT (\Deleted)
	// and UID EXPUNGE (RFC 4315 UIDPLUS) of exactly the moved UIDs.
	MoveByCopyExpunge
	// MoveByCopyFlag copies and flags \Deleted only: the originals stay
	// until the person's mail client expunges.
	MoveByCopyFlag
)

// String names the method for logs and reports.
func (m MoveMethod) String() string {
	switch m {
	case MoveByMove:
		return "MOVE"
	case MoveByCopyExpunge:
		return "COPY+UID EXPUNGE"
	case MoveByCopyFlag:
		return "COPY+\\Deleted (expunge left to the mail client)"
	}
	return fmt.Sprintf("MoveMethod(%d)", int(m))
}

// MoveMethod returns how MoveUIDs moves on this server.
func (s *Session) MoveMethod() MoveMethod {
	switch {
	case s.caps.Has(imap.CapMove):
		return MoveByMove
	case s.caps.Has(imap.CapUIDPlus):
		return MoveByCopyExpunge
	}
	return MoveByCopyFlag
}

// MoveResult reports a MoveUIDs call.
type MoveResult struct {
	Method MoveMethod
	// ExpungePending is set when the originals were only flagged \Deleted
	// and stay in the source until the person's mail client expunges.
	ExpungePending bool
	// DestUIDValidity and DestUIDs come from the server's COPYUID answer
	// (UIDPLUS); without it they are zero and empty.
	DestUIDValidity uint32
	DestUIDs        map[imap.UID]imap.UID
}

// MoveUIDs moves uids from src to dest, in batches, by the safest method the
// server offers (see MoveMethod). It selects src and refuses to touch
// anything if src's UIDVALIDITY is no longer srcValidity: the UIDs would name
// other messages. On error, the result holds what earlier batches did.
func (s *Session) MoveUIDs(ctx context.Context, src string, srcValidity uint32, dest string, uids []imap.UID) (MoveResult, error) {
	res := MoveResult{Method: s.MoveMethod(), DestUIDs: map[imap.UID]imap.UID{}}
	res.ExpungePending = res.Method == MoveByCopyFlag
	if src == dest {
		return res, fmt.Errorf("moving from %s to itself", src)
	}
	uids = slices.Clone(uids)
	slices.Sort(uids)
	uids = slices.Compact(uids)
	if len(uids) > 0 && uids[0] == 0 {
		return res, fmt.Errorf("moving from %s: UID 0 is not a message", src)
	}
	if len(uids) == 0 {
		return res, nil
	}
	sel, err := s.selectMailbox(ctx, src, false, false)
	if err != nil {
		return res, err
	}
	if sel.UIDValidity != srcValidity {
		return res, fmt.Errorf("moving from %s: UIDVALIDITY is %d, not %d as recorded: nothing moved", src, sel.UIDValidity, srcValidity)
	}
	for _, batch := range evenChunks(uids, moveBatch) {
		step := fmt.Sprintf("moving %d messages (UIDs %d-%d) from %s to %s by %s", len(batch), batch[0], batch[len(batch)-1], src, dest, res.Method)
		s.log.Debug("moving", "count", len(batch), "from", src, "to", dest, "method", res.Method.String())
		var copied *imap.CopyData
		err := s.do(ctx, step, func() error {
			set := imap.UIDSetNum(batch...)
			if res.Method == MoveByMove {
				// Client.Move falls back to a plain EXPUNGE without
				// UIDPLUS; it is called only when the server has MOVE.
				data, err := s.c.Move(set, dest).Wait()
				if err == nil {
					copied = &imap.CopyData{UIDValidity: data.UIDValidity}
					copied.SourceUIDs, _ = data.SourceUIDs.(imap.UIDSet)
					copied.DestUIDs, _ = data.DestUIDs.(imap.UIDSet)
				}
				return err
			}
			var err error
			if copied, err = s.c.Copy(set, dest).Wait(); err != nil {
				return err
			}
			store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
			if err := s.c.Store(set, store, nil).Close(); err != nil {
				return fmt.Errorf("flagging the copied originals \\Deleted: %w", err)
			}
			if res.Method == MoveByCopyExpunge {
				if err := s.c.UIDExpunge(set).Close(); err != nil {
					return fmt.Errorf("expunging the copied originals: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		s.mapCopied(&res, batch, copied)
	}
	if res.ExpungePending {
		s.log.Warn("server lacks MOVE and UIDPLUS: originals are flagged \\Deleted and stay until your mail client expunges", "mailbox", src, "count", len(uids))
	}
	return res, nil
}

// mapCopied records the COPYUID pairs for the UIDs of batch.
func (s *Session) mapCopied(res *MoveResult, batch []imap.UID, copied *imap.CopyData) {
	if copied == nil || copied.UIDValidity == 0 {
		return
	}
	from, err1 := uidList(copied.SourceUIDs, len(batch))
	to, err2 := uidList(copied.DestUIDs, len(batch))
	if err1 != nil || err2 != nil || len(from) != len(to) {
		s.log.Warn("ignoring a malformed COPYUID answer", "source", copied.SourceUIDs.String(), "dest", copied.DestUIDs.String())
		return
	}
	res.DestUIDValidity = copied.UIDValidity
	for i, uid := range from {
		if _, ok := slices.BinarySearch(batch, uid); ok {
			res.DestUIDs[uid] = to[i]
		}
	}
}

// evenChunks splits uids into as few consecutive slices of at most n as
// possible, of nearly equal length: 1001 UIDs make two commands of about
// 500, not one of 1000 and one of 1.
func evenChunks(uids []imap.UID, n int) [][]imap.UID {
	if len(uids) == 0 {
		return nil
	}
	k := (len(uids) + n - 1) / n
	out := make([][]imap.UID, 0, k)
	for i := range k {
		out = append(out, uids[i*len(uids)/k:(i+1)*len(uids)/k])
	}
	return out
}
