package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bounceguard/bounceguard/internal/config"
)

const configHelp = `The configuration file

Every flag of every command can be kept in a TOML file instead of typed:
the key is the flag's long name. The file is
$XDG_CONFIG_HOME/bounceguard/config.toml (~/.config/bounceguard/config.toml),
or the one --config names.

  # settings for every command and account
  tls-ca = "/etc/ssl/private-ca.pem"
  relay = ["mail.example.org", "smtp.example.org"]

  host = "imap.example.org"          # the account used without --account
  user = "alice"
  password-command = "pass show mail/imap"

  [account.gmail]                    # bounceguard once --account gmail
  host = "imap.gmail.com"
  user = "alice@gmail.com"
  oauth2-token-command = "oama access alice@gmail.com"

  [account.work]
  host = "outlook.office365.com"
  user = "alice@work.example"
  oauth2-token-command = "mutt_oauth2.py ~/.local/share/bounceguard/work.tokens"
  quarantine = "Junk/Backscatter"

Which value wins: a flag on the command line, then the [account.NAME]
table chosen with --account NAME, then the top-level keys, then the
flag's default. A list (relay = [...]) replaces the default list; it is
not added to it. A key may belong to any command (sent = [...] for scan
sits beside host = ... for once): each command takes the keys it has.
A key that is no command's flag is an error naming the key and its line,
so a typo never silently drops a setting. config and account themselves
can only be given on the command line. Paths are taken as written: "~"
and $HOME are not expanded, and a relative path is relative to the
folder bounceguard runs in, so write them in full.

The file may name commands bounceguard runs (password-command,
oauth2-token-command), so it is refused when group or others can write
it or the folder it is in (fix: chmod 600 FILE, chmod go-w FOLDER), or
when it belongs to another user than you or root. Passwords do not go in
it: keep them in a password file (chmod 600), a password manager reached
with password-command, or BOUNCEGUARD_PASSWORD.

Exit codes (for cron, systemd and mail filters)
  0   done (check: keep the message)
  1   check: quarantine the message
  64  the command line is wrong
  65  check: the message could not be read
  75  temporary: the network, the server, or another bounceguard working on
      the account (its lock); try again later
  77  the server refused the login (password or OAuth2 token): retrying
      will not help until the credentials are fixed
  78  the configuration is wrong: the file, a setting, a missing password
      source, a file with unsafe permissions

--quiet prints nothing but errors, so cron mails only when something went
wrong. run and once log as text, or JSON lines with --log-format json.
`

// applyConfig sets the flags of fs that the command line left alone from
// the configuration file, if there is one. A missing default file is no
// configuration; a missing file named by --config is an error.
func applyConfig(fset *pflag.FlagSet) error {
	path, _ := fset.GetString("config")
	account, _ := fset.GetString("account")
	named := path != ""
	if !named {
		p, err := config.DefaultPath()
		if err != nil {
			if account != "" {
				return fmt.Errorf("--account %s: %w (use --config FILE)", account, err)
			}
			return nil
		}
		path = p
	}
	file, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) && !named {
		if account != "" {
			return fmt.Errorf("--account %s: there is no configuration file %s (or give --config FILE)", account, path)
		}
		return nil
	}
	if err != nil {
		return err
	}
	names := allFlagNames()
	known := func(key string) bool { return names[key] }
	if err := file.Check(known); err != nil {
		return err
	}
	return file.Apply(fset, account, known)
}

// flagCollector is handed to a command, as its standard output, together
// with --help: newFlags records the command's flag set in it. That is how
// the configuration learns every flag of every command from the commands
// themselves, with no second list to keep in step.
type flagCollector struct{ sets []*pflag.FlagSet }

func (c *flagCollector) Write(p []byte) (int, error) { return len(p), nil }

// allFlagNames returns the long names of every command's flags.
func allFlagNames() map[string]bool {
	c := &flagCollector{}
	for _, cmd := range commands() {
		cmd.run([]string{"--help"}, strings.NewReader(""), c, io.Discard)
	}
	names := map[string]bool{}
	for _, fset := range c.sets {
		fset.VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
	}
	return names
}
