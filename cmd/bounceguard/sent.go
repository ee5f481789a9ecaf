package main

import (
	"context"
	"fmt"
	"io"

	"github.com/bounceguard/bounceguard/internal/mailstore"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// loadSent builds the sent index from the person's sent mail on disk.
// Messages that cannot be read are passed over with a warning: a sent
// index with a gap only makes verdicts more careful.
func loadSent(ctx context.Context, paths []string, stderr io.Writer) (*sentindex.Index, error) {
	idx := sentindex.New()
	for _, p := range paths {
		err := mailstore.Walk(ctx, p, func(s mailstore.Source) error {
			if s.Err != nil {
				fmt.Fprintf(stderr, "bounceguard: sent mail %s: %v (skipped)\n", s.Name, s.Err)
				return nil
			}
			e, err := sentindex.EntryFromHeader(s.Raw)
			if err != nil {
				fmt.Fprintf(stderr, "bounceguard: sent mail %s: %v (skipped)\n", s.Name, err)
				return nil
			}
			idx.Add(e)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading sent mail %s: %w", p, err)
		}
	}
	return idx, nil
}
