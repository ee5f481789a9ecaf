package main

import (
	"github.com/spf13/pflag"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// policyFlags are the flags that shape decisions, shared by every command
// that classifies: scan, check, once (and run).
type policyFlags struct {
	quarantineUnknown bool
}

func (p *policyFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&p.quarantineUnknown, "quarantine-unknown", false, "treat bounce-unknown (no evidence either way) as quarantine too")
}

// classifier is the classifier these flags describe, deciding against the
// sent index sent (nil when there is none).
func (p *policyFlags) classifier(sent *sentindex.Index) *classifier.Classifier {
	return &classifier.Classifier{Sent: sent, QuarantineUnknown: p.quarantineUnknown}
}
