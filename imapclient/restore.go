package imapclient

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// RestoreOutcome is what Restore did with one record.
type RestoreOutcome struct {
	Record MoveRecord
	// UID is the message's new UID in Record.Mailbox, when the server said.
	UID imap.UID
	// Err says why this record was not restored (message not found, …).
	Err error
}

// errNotFound marks a record whose message is no longer in its destination.
var errNotFound = errors.New("message not found in the destination mailbox")

// Restore moves recorded messages back from where they were moved (Dest) to
// where they came from (Mailbox), with the same safe move. A message is found
// by its destination UID while the destination's UIDVALIDITY is unchanged,
// otherwise (or when the server gave no UID) by its Message-ID, checked
// exactly against the header. A move that left its original flagged \Deleted
// (ExpungePending) is undone in place when the original is still there: the
// flag is removed and the copy in Dest is flagged \Deleted instead, so no
// duplicate appears. Per-record failures are in the outcomes; the error is
// for failures that stop the whole restore.
func (s *Session) Restore(ctx context.Context, records []MoveRecord) ([]RestoreOutcome, error) {
	outs := make([]RestoreOutcome, len(records))
	byDest := map[string][]int{}
	var dests []string
	for i, r := range records {
		outs[i].Record = r
		if r.Dest == "" || r.Mailbox == "" || r.Dest == r.Mailbox {
			outs[i].Err = fmt.Errorf("record names no usable source and destination (%q, %q)", r.Mailbox, r.Dest)
			continue
		}
		if _, ok := byDest[r.Dest]; !ok {
			dests = append(dests, r.Dest)
		}
		byDest[r.Dest] = append(byDest[r.Dest], i)
	}
	for _, dest := range dests {
		if err := s.restoreFrom(ctx, dest, byDest[dest], outs); err != nil {
			return outs, err
		}
	}
	return outs, nil
}

func (s *Session) restoreFrom(ctx context.Context, dest string, idx []int, outs []RestoreOutcome) error {
	inPlace, err := s.unflagOriginals(ctx, idx, outs)
	if err != nil {
		return err
	}
	sel, err := s.selectMailbox(ctx, dest, false, true)
	if err != nil {
		return err
	}
	current := map[int]imap.UID{}
	claimed := map[imap.UID]bool{}
	var known []imap.UID
	for _, i := range idx {
		if r := outs[i].Record; r.DestUIDValidity == sel.UIDValidity && r.DestUID != 0 {
			known = append(known, r.DestUID)
		}
	}
	present, err := s.existing(ctx, known)
	if err != nil {
		return err
	}
	for _, i := range idx {
		r := outs[i].Record
		if r.DestUIDValidity == sel.UIDValidity && present[r.DestUID] && !claimed[r.DestUID] {
			current[i], claimed[r.DestUID] = r.DestUID, true
			continue
		}
		uid, err := s.findByMessageID(ctx, r.MessageID, claimed)
		if err != nil {
			return err
		}
		if uid == 0 {
			if !inPlace[i] {
				outs[i].Err = errNotFound
			}
			continue
		}
		current[i], claimed[uid] = uid, true
	}

	var copies []imap.UID
	for _, i := range idx {
		if uid, ok := current[i]; ok && inPlace[i] {
			copies = append(copies, uid)
		}
	}
	if err := s.flagDeleted(ctx, copies); err != nil {
		return fmt.Errorf("flagging restored copies in %s \\Deleted: %w", dest, err)
	}

	byTarget := map[string][]int{}
	var targets []string
	for _, i := range idx {
		if _, ok := current[i]; !ok || inPlace[i] {
			continue
		}
		t := outs[i].Record.Mailbox
		if _, ok := byTarget[t]; !ok {
			targets = append(targets, t)
		}
		byTarget[t] = append(byTarget[t], i)
	}
	for _, t := range targets {
		uids := make([]imap.UID, 0, len(byTarget[t]))
		for _, i := range byTarget[t] {
			uids = append(uids, current[i])
		}
		mr, err := s.MoveUIDs(ctx, dest, sel.UIDValidity, t, uids)
		if err != nil {
			return fmt.Errorf("restoring %d messages from %s to %s: %w", len(uids), dest, t, err)
		}
		for _, i := range byTarget[t] {
			outs[i].UID = mr.DestUIDs[current[i]]
		}
	}
	return nil
}

// unflagOriginals undoes, in the source mailbox, moves that only copied and
// flagged: where the original is still there under the recorded UIDVALIDITY,
// its \Deleted flag is removed. It returns the records so restored.
func (s *Session) unflagOriginals(ctx context.Context, idx []int, outs []RestoreOutcome) (map[int]bool, error) {
	inPlace := map[int]bool{}
	bySource := map[string][]int{}
	var sources []string
	for _, i := range idx {
		if r := outs[i].Record; r.ExpungePending && r.UID != 0 {
			if _, ok := bySource[r.Mailbox]; !ok {
				sources = append(sources, r.Mailbox)
			}
			bySource[r.Mailbox] = append(bySource[r.Mailbox], i)
		}
	}
	for _, src := range sources {
		sel, err := s.selectMailbox(ctx, src, false, true)
		if err != nil {
			return nil, err
		}
		var uids []imap.UID
		for _, i := range bySource[src] {
			if outs[i].Record.UIDValidity == sel.UIDValidity {
				uids = append(uids, outs[i].Record.UID)
			}
		}
		present, err := s.existing(ctx, uids)
		if err != nil {
			return nil, err
		}
		var found []imap.UID
		for _, i := range bySource[src] {
			if r := outs[i].Record; r.UIDValidity == sel.UIDValidity && present[r.UID] {
				found = append(found, r.UID)
				inPlace[i], outs[i].UID = true, r.UID
			}
		}
		if err := s.storeDeleted(ctx, found, imap.StoreFlagsDel); err != nil {
			return nil, fmt.Errorf("removing \\Deleted from originals in %s: %w", src, err)
		}
	}
	return inPlace, nil
}

// flagDeleted flags uids of the selected mailbox \Deleted, and expunges
// exactly those where UIDPLUS allows; otherwise the person's client will.
func (s *Session) flagDeleted(ctx context.Context, uids []imap.UID) error {
	if err := s.storeDeleted(ctx, uids, imap.StoreFlagsAdd); err != nil {
		return err
	}
	if !s.caps.Has(imap.CapUIDPlus) {
		return nil
	}
	for _, batch := range chunks(uids, moveBatch) {
		err := s.do(ctx, fmt.Sprintf("expunging %d messages from %s", len(batch), s.selected), func() error {
			return s.c.UIDExpunge(imap.UIDSetNum(batch...)).Close()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// storeDeleted adds or removes \Deleted on uids of the selected mailbox.
func (s *Session) storeDeleted(ctx context.Context, uids []imap.UID, op imap.StoreFlagsOp) error {
	for _, batch := range chunks(uids, moveBatch) {
		err := s.do(ctx, fmt.Sprintf("changing \\Deleted on %d messages in %s", len(batch), s.selected), func() error {
			store := &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
			return s.c.Store(imap.UIDSetNum(batch...), store, nil).Close()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// existing returns which of uids are still in the selected mailbox.
func (s *Session) existing(ctx context.Context, uids []imap.UID) (map[imap.UID]bool, error) {
	present := map[imap.UID]bool{}
	if len(uids) == 0 {
		return present, nil
	}
	for _, batch := range chunks(uids, fetchBatch) {
		err := s.do(ctx, fmt.Sprintf("checking %d recorded UIDs in %s", len(batch), s.selected), func() error {
			data, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(batch...)}}, nil).Wait()
			if err != nil {
				return err
			}
			set, _ := data.All.(imap.UIDSet)
			found, err := uidList(set, len(batch))
			for _, uid := range found {
				present[uid] = true
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return present, nil
}

// maxIDMatches bounds how many messages one Message-ID search may return.
const maxIDMatches = 1000

// findByMessageID returns the lowest unclaimed UID in the selected mailbox
// whose Message-ID is exactly id, or 0. SEARCH HEADER matches substrings, so
// each candidate's header is checked.
func (s *Session) findByMessageID(ctx context.Context, id string, claimed map[imap.UID]bool) (imap.UID, error) {
	if id == "" {
		return 0, nil
	}
	var cands []imap.UID
	err := s.do(ctx, fmt.Sprintf("searching %s for Message-ID <%s>", s.selected, id), func() error {
		crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}
		data, err := s.c.UIDSearch(crit, nil).Wait()
		if err != nil {
			return err
		}
		set, _ := data.All.(imap.UIDSet)
		cands, err = uidList(set, maxIDMatches)
		return err
	})
	if err != nil || len(cands) == 0 {
		return 0, err
	}
	slices.Sort(cands)
	envs, err := s.fetchEnvelopes(ctx, cands, false)
	if err != nil {
		return 0, err
	}
	for _, uid := range cands {
		if e := envs[uid]; e != nil && !claimed[uid] && e.MessageID == id {
			return uid, nil
		}
	}
	return 0, nil
}
