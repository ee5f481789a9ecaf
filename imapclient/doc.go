// Package imapclient is bounceguard's session with an IMAP server: dialing
// with verified TLS, logging in, finding the sent folder, fetching new mail
// cheaply (headers and structure first, whole messages only on request),
// moving messages without ever issuing a plain EXPUNGE, and the sweep over a
// mailbox that ties these together.
//
// It knows IMAP and nothing of policy: what to move is decided by a function
// the caller hands to Sweep, and where moves are recorded is an interface.
// It works with UIDs only, keyed by UIDVALIDITY.
package imapclient
