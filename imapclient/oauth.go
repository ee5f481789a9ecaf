package imapclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
)

// maxOAuthChallenge bounds the error a server sends back for a refused
// token: a small JSON object.
const maxOAuthChallenge = 4096

// loginOAuth presents an OAuth2 access token with XOAUTH2 or OAUTHBEARER.
//
// A server that refuses the token does not answer NO at once: it sends a
// challenge holding a JSON error and waits for the client's reply. The
// clients here answer it (empty for XOAUTH2, the ^A of RFC 7628 section
// 3.2.3 for OAUTHBEARER) so the server finishes with its NO straight away,
// rather than the login hanging until a timeout. (go-imap writes an empty
// response as "=", the RFC 4959 form; a server that wants an empty line
// instead answers BAD, which ends the exchange just as fast.)
func (s *Session) loginOAuth(ctx context.Context, method AuthMethod, pre imap.CapSet) error {
	if s.cfg.Auth == "" && !pre.Has(imap.Cap("AUTH=XOAUTH2")) && !pre.Has(imap.Cap("AUTH=OAUTHBEARER")) {
		return fmt.Errorf("%w: server offers neither AUTH=XOAUTH2 nor AUTH=OAUTHBEARER: it takes no OAuth2 tokens (log in with a password, or force one with --auth)", ErrAuth)
	}
	if err := checkSASLUser(s.cfg.User); err != nil {
		return err
	}
	token, err := s.cfg.Token(ctx)
	if err != nil {
		return fmt.Errorf("getting the OAuth2 token for %s: %w", s.cfg.User, err)
	}
	if err := checkToken(token); err != nil {
		return err
	}
	var c oauthClient
	switch method {
	case AuthXOAUTH2:
		c = &xoauth2Client{user: s.cfg.User, token: token}
	default:
		c = &oauthBearerClient{Client: sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: s.cfg.User, Token: token, Host: s.cfg.Host, Port: s.cfg.Port,
		})}
	}
	err = s.do(ctx, fmt.Sprintf("logging in as %s with %s", s.cfg.User, strings.ToUpper(string(method))), func() error {
		return s.c.Authenticate(c)
	})
	if err == nil {
		return nil
	}
	var imapErr *imap.Error
	refusal := c.refusal()
	if !errors.As(err, &imapErr) && refusal == "" {
		return err
	}
	msg := fmt.Sprintf("logging in as %s with %s: server refused the OAuth2 token", s.cfg.User, strings.ToUpper(string(method)))
	if refusal != "" {
		msg += " (" + refusal + ")"
	}
	if imapErr != nil {
		// The server's text, never our command: it cannot hold the token.
		msg += fmt.Sprintf(": server said %q", imapErr.Text)
	}
	return fmt.Errorf("%w: %s: check that the token command gives a fresh token for this user with the IMAP scope", ErrAuth, msg)
}

// oauthClient is a SASL client that remembers why the server refused it.
type oauthClient interface {
	sasl.Client
	refusal() string
}

// xoauth2Client is SASL XOAUTH2, as Google and Microsoft document it:
// one initial response "user=U ^A auth=Bearer T ^A ^A"; a refusal comes as
// a challenge holding a JSON error, to be answered with an empty response.
type xoauth2Client struct {
	user, token string
	failure     string
	answered    bool
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if c.answered {
		return nil, errors.New("XOAUTH2: server sent a second challenge")
	}
	c.answered = true
	c.failure = describeOAuthError(challenge)
	return []byte{}, nil
}

func (c *xoauth2Client) refusal() string { return c.failure }

// oauthBearerClient is go-sasl's OAUTHBEARER client, which returns an error
// on the server's error challenge without answering it; this one answers
// with ^A, as RFC 7628 section 3.2.3 requires, so the server can finish.
type oauthBearerClient struct {
	sasl.Client
	failure  string
	answered bool
}

func (c *oauthBearerClient) Next(challenge []byte) ([]byte, error) {
	if c.answered {
		return nil, errors.New("OAUTHBEARER: server sent a second challenge")
	}
	c.answered = true
	c.failure = describeOAuthError(challenge)
	return []byte{0x01}, nil
}

func (c *oauthBearerClient) refusal() string { return c.failure }

// describeOAuthError summarises the JSON error a server sends when it
// refuses a token (RFC 7628 section 3.2.2: status, scope, schemes), for
// an error message. The input is the server's: it is bounded, and only
// short printable text is kept.
func describeOAuthError(challenge []byte) string {
	if len(challenge) > maxOAuthChallenge {
		return "an oversized error report"
	}
	var e struct {
		Status string `json:"status"`
		Scope  string `json:"scope"`
	}
	if err := json.Unmarshal(challenge, &e); err != nil {
		return "an unreadable error report"
	}
	var parts []string
	if st := printable(e.Status, 40); st != "" {
		parts = append(parts, "status "+st)
	}
	if sc := printable(e.Scope, 200); sc != "" {
		parts = append(parts, "scope needed "+sc)
	}
	return strings.Join(parts, ", ")
}

// printable keeps at most n bytes of s's printable ASCII.
func printable(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// checkSASLUser refuses a user name that would break the SASL message it
// is put in (fields are ^A-separated; OAUTHBEARER's GS2 header is
// comma-separated and gives "=" a meaning).
func checkSASLUser(user string) error {
	if strings.ContainsAny(user, "\x00\x01,=") {
		return fmt.Errorf("user %q contains a character OAuth2 login cannot carry (^A, comma or =)", user)
	}
	return nil
}

// checkToken refuses a token command's output that is not a token: the
// token is spliced into the SASL message, where a control character or
// space would end its field. The token itself is never quoted.
func checkToken(token string) error {
	if token == "" {
		return errors.New("the OAuth2 token command printed nothing")
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= 0x20 || token[i] >= 0x7f {
			return fmt.Errorf("the OAuth2 token command printed a %d-byte line with spaces or control characters: not an access token (is it printing a JSON response or a prompt?)", len(token))
		}
	}
	return nil
}
