// Package config reads bounceguard's configuration file: TOML whose keys
// are the long names of command-line flags, so anything that can be said
// on the command line can be kept in the file instead.
//
//	host = "imap.example.com"
//	user = "alice"
//	password-command = "pass show mail/imap"
//	relay = ["mail.example.com", "smtp.example.com"]
//
//	[account.work]
//	host = "outlook.office365.com"
//	user = "alice@work.example"
//	oauth2-token-command = "oama access alice@work.example"
//
// Top-level keys apply to every command and every account; a table
// [account.NAME] applies when --account NAME is given, and its keys win
// over the top-level ones. Flags given on the command line win over both.
// A key may name a flag of any bounceguard command (each command takes
// the keys it has and passes over the others), but a key that is no
// command's flag is an error naming the key and its line, so a typo never
// silently loses a setting.
//
// The file can name commands to run (password-command, …), so it is
// refused when anyone but its owner could change it.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/bounceguard/bounceguard/internal/fileperm"
	"github.com/spf13/pflag"
)

// Bounds on what a file may hold: a configuration is a few dozen lines,
// and a huge or pathological file must not exhaust memory.
const (
	// MaxSize is the largest file read, in bytes.
	MaxSize = 1 << 20
	// MaxAccounts is the most [account.NAME] tables a file may hold.
	MaxAccounts = 1000
	// MaxSettings is the most keys a file may hold, all tables together.
	MaxSettings = 10000
	// MaxListLen is the most values one list setting may hold.
	MaxListLen = 1000
)

// accountTable is the key under which named accounts live.
const accountTable = "account"

// Setting is one key of the file.
type Setting struct {
	// Key is the flag's long name, e.g. "tls-ca".
	Key string
	// Values holds the value as a flag would be given it on the command
	// line: one entry for a scalar, one per element for a list.
	Values []string
	// List is set when the file gave an array.
	List bool
	// Line is where the key is in the file, counting from 1.
	Line int
}

// File is a parsed configuration file.
type File struct {
	// Path is where the file was read from, for messages.
	Path string
	// Settings are the top-level keys, in file order.
	Settings []Setting
	// Accounts holds each [account.NAME] table's keys, in file order.
	Accounts map[string][]Setting
}

// Error is a problem in the file, at a line when one is known.
type Error struct {
	Path string
	Line int // 0 when the problem is with the whole file
	Msg  string
}

// Error formats as "path:line: message", the form editors jump to.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// DefaultPath returns $XDG_CONFIG_HOME/bounceguard/config.toml, or
// ~/.config/bounceguard/config.toml. A relative XDG_CONFIG_HOME is
// ignored, as the XDG Base Directory specification requires.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "bounceguard", "config.toml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the configuration folder: %w", err)
	}
	return filepath.Join(home, ".config", "bounceguard", "config.toml"), nil
}

// Load reads and parses the file at path after checking that only its
// owner can change it (see CheckFile). A missing file is an error that
// wraps fs.ErrNotExist, so a caller can treat a missing default file as
// no configuration.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	defer f.Close()
	// Check the file that was opened, not the path again: the path could
	// be swapped between a check and the open.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading configuration %s: %w", path, err)
	}
	if err := checkInfo(path, fi); err != nil {
		return nil, err
	}
	if err := checkDir(path); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading configuration %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("larger than %d bytes: is this the right file?", MaxSize)}
	}
	return Parse(path, data)
}

// CheckFile refuses a configuration file that someone other than its
// owner could change, or that belongs to someone other than the person
// running bounceguard (or root), and says how to fix it: the file names
// commands bounceguard runs, so whoever can write it runs code as you.
func CheckFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("checking configuration: %w", err)
	}
	if err := checkInfo(path, fi); err != nil {
		return err
	}
	return checkDir(path)
}

func checkInfo(path string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("configuration %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("configuration %s is writable by group or others (mode %04o), who could make bounceguard run their commands: fix it with: chmod 600 %s", path, perm, path)
	}
	if uid, ok := fileperm.Owner(fi); ok && uid != os.Getuid() && uid != 0 {
		return fmt.Errorf("configuration %s belongs to uid %d, not to you (uid %d): copy it to a file of your own", path, uid, os.Getuid())
	}
	return nil
}

// checkDir refuses a folder where others could replace the file. A
// sticky folder (such as /tmp) lets only a file's owner rename or remove
// it, so it is allowed.
func checkDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("checking the folder of configuration %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 && fi.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("folder %s holding configuration %s is writable by group or others (mode %04o), who could replace the file: fix it with: chmod go-w %s", dir, path, perm, dir)
	}
	return nil
}

// lineProbe makes the TOML decoder report where a key is: an Unmarshaler's
// error comes back as a toml.ParseError carrying the key's position,
// which MetaData does not otherwise expose.
type lineProbe struct{}

var errProbe = errors.New("line probe")

func (lineProbe) UnmarshalTOML(any) error { return errProbe }

// Parse reads a configuration from data; path is used in messages only.
func Parse(path string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	var top map[string]toml.Primitive
	md, err := toml.Decode(string(data), &top)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{Path: path, Line: pe.Position.Line, Msg: pe.Message}
		}
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	if n := len(md.Keys()); n > MaxSettings {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("%d keys, more than the %d allowed", n, MaxSettings)}
	}
	p := parser{path: path, md: &md}
	f := &File{Path: path, Accounts: map[string][]Setting{}}
	for key, prim := range top {
		if key != accountTable {
			s, err := p.setting(key, prim)
			if err != nil {
				return nil, err
			}
			f.Settings = append(f.Settings, s)
			continue
		}
		var accounts map[string]toml.Primitive
		if !p.isTable(prim) || md.PrimitiveDecode(prim, &accounts) != nil {
			return nil, p.errorf(prim, "%q must be tables [account.NAME], one per account", accountTable)
		}
		if len(accounts) > MaxAccounts {
			return nil, p.errorf(prim, "%d accounts, more than the %d allowed", len(accounts), MaxAccounts)
		}
		for name, aprim := range accounts {
			var keys map[string]toml.Primitive
			if !p.isTable(aprim) || md.PrimitiveDecode(aprim, &keys) != nil {
				return nil, p.errorf(aprim, "account %q must be a table of settings: [account.%s]", name, name)
			}
			settings := make([]Setting, 0, len(keys))
			for key, kprim := range keys {
				if key == accountTable {
					return nil, p.errorf(kprim, "account %q: an account cannot hold accounts", name)
				}
				s, err := p.setting(key, kprim)
				if err != nil {
					return nil, err
				}
				settings = append(settings, s)
			}
			sortByLine(settings)
			f.Accounts[name] = settings
		}
	}
	sortByLine(f.Settings)
	return f, nil
}

func sortByLine(s []Setting) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].Line < s[j].Line || s[i].Line == s[j].Line && s[i].Key < s[j].Key })
}

type parser struct {
	path string
	md   *toml.MetaData
}

// isTable reports whether prim holds a table (decoding a scalar into a
// map does not fail, it leaves the map empty).
func (p parser) isTable(prim toml.Primitive) bool {
	var v any
	if err := p.md.PrimitiveDecode(prim, &v); err != nil {
		return false
	}
	_, ok := v.(map[string]any)
	return ok
}

// line is where prim's key is, or 0 when the decoder cannot say (a table
// made implicitly by a dotted name).
func (p parser) line(prim toml.Primitive) int {
	var pe toml.ParseError
	if err := p.md.PrimitiveDecode(prim, lineProbe{}); errors.As(err, &pe) {
		return pe.Position.Line
	}
	return 0
}

func (p parser) errorf(prim toml.Primitive, format string, args ...any) error {
	return &Error{Path: p.path, Line: p.line(prim), Msg: fmt.Sprintf(format, args...)}
}

// setting converts one key's value to flag values.
func (p parser) setting(key string, prim toml.Primitive) (Setting, error) {
	s := Setting{Key: key, Line: p.line(prim)}
	var v any
	if err := p.md.PrimitiveDecode(prim, &v); err != nil {
		return s, p.errorf(prim, "%s: %v", key, err)
	}
	if list, ok := v.([]any); ok {
		if len(list) > MaxListLen {
			return s, p.errorf(prim, "%s: %d values, more than the %d allowed", key, len(list), MaxListLen)
		}
		s.List = true
		s.Values = make([]string, 0, len(list))
		for _, e := range list {
			str, err := scalar(e)
			if err != nil {
				return s, p.errorf(prim, "%s: a list of %s: lists hold strings, numbers or true/false", key, err)
			}
			s.Values = append(s.Values, str)
		}
		return s, nil
	}
	str, err := scalar(v)
	if err != nil {
		if _, table := v.(map[string]any); table {
			return s, p.errorf(prim, "%s is a table; the only tables allowed are [account.NAME]", key)
		}
		return s, p.errorf(prim, "%s: %v: give a string, a number, true/false or a list", key, err)
	}
	s.Values = []string{str}
	return s, nil
}

// scalar renders a TOML value as a flag's text.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case map[string]any:
		return "", errors.New("tables")
	case []any, []map[string]any:
		return "", errors.New("lists")
	}
	// Dates and times: no flag takes one; a duration is a string ("24h").
	return "", fmt.Errorf("a date or time (%v)", v)
}

// AccountNames returns the names of the [account.NAME] tables, sorted.
func (f *File) AccountNames() []string {
	names := make([]string, 0, len(f.Accounts))
	for n := range f.Accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Apply sets the flags of fs from the file: first the keys of
// [account.NAME] when account is not empty, then the top-level keys. A
// flag already changed (on the command line, or by the account's table)
// keeps its value, so the command line wins over the account, and the
// account over the top level; a list in the file replaces the flag's
// default rather than adding to it. A key fs has no flag for is passed
// over when known says another command has it, and is an error otherwise;
// a nil known knows only the flags of fs.
func (f *File) Apply(fs *pflag.FlagSet, account string, known func(key string) bool) error {
	var sets [][]Setting
	if account != "" {
		acc, ok := f.Accounts[account]
		if !ok {
			return &Error{Path: f.Path, Msg: noAccount(account, f.AccountNames())}
		}
		sets = append(sets, acc)
	}
	sets = append(sets, f.Settings)
	flagOrKnown := func(key string) bool { return fs.Lookup(key) != nil || known != nil && known(key) }
	for _, settings := range sets {
		for _, s := range settings {
			if err := f.apply(fs, s, flagOrKnown); err != nil {
				return err
			}
		}
	}
	return nil
}

// Check reports the first key, in file order, that is no command's flag
// (known says which are) or may not be set from a file, whichever
// account it is in: a typo in an account not used today is still caught.
func (f *File) Check(known func(key string) bool) error {
	var all []Setting
	all = append(all, f.Settings...)
	for _, acc := range f.Accounts {
		all = append(all, acc...)
	}
	sortByLine(all)
	for _, s := range all {
		if err := f.checkKey(s, known); err != nil {
			return err
		}
	}
	return nil
}

func (f *File) checkKey(s Setting, known func(string) bool) error {
	if slices.Contains(fileOnly, s.Key) {
		return &Error{Path: f.Path, Line: s.Line, Msg: fmt.Sprintf("%q can only be given on the command line", s.Key)}
	}
	if s.Key == "help" || !known(s.Key) {
		return &Error{Path: f.Path, Line: s.Line, Msg: fmt.Sprintf("unknown key %q: no bounceguard command has a flag --%s (see bounceguard help COMMAND)", s.Key, s.Key)}
	}
	return nil
}

// fileOnly are flags whose value must come from the command line: the
// file cannot choose itself, and accounts are chosen by their table.
var fileOnly = []string{"config", "account"}

func (f *File) apply(fs *pflag.FlagSet, s Setting, known func(string) bool) error {
	if err := f.checkKey(s, known); err != nil {
		return err
	}
	fl := fs.Lookup(s.Key)
	if fl == nil {
		return nil // another command's setting
	}
	if fl.Changed {
		return nil
	}
	typ := fl.Value.Type()
	_, slice := fl.Value.(pflag.SliceValue)
	multi := slice || strings.HasSuffix(typ, "Slice") || strings.HasSuffix(typ, "Array")
	if s.List && !multi {
		return &Error{Path: f.Path, Line: s.Line, Msg: fmt.Sprintf("%s takes one value, not a list", s.Key)}
	}
	for _, v := range s.Values {
		if err := fs.Set(s.Key, v); err != nil {
			return &Error{Path: f.Path, Line: s.Line, Msg: fmt.Sprintf("%s = %q: %v", s.Key, v, err)}
		}
	}
	if len(s.Values) == 0 {
		// An empty list: the flag is set, to nothing.
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			if err := sv.Replace(nil); err != nil {
				return &Error{Path: f.Path, Line: s.Line, Msg: fmt.Sprintf("%s: %v", s.Key, err)}
			}
			fl.Changed = true
		}
	}
	return nil
}

func noAccount(name string, have []string) string {
	if len(have) == 0 {
		return fmt.Sprintf("no [account.%s] table: the file defines no accounts", name)
	}
	return fmt.Sprintf("no [account.%s] table: the file defines %s", name, strings.Join(have, ", "))
}
