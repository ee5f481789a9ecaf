// Package state is bounceguard's memory between runs: one crash-safe
// bbolt file per account holding the sent index, how far each mailbox has
// been swept, the audit log of every move, and a summary of recent runs.
//
// Deleting the file is always safe: the next run rebuilds the sent index
// and sweeps again. Only the audit log (what restore can undo) is lost.
//
// A Store is safe for concurrent use. Only one process can hold a file
// open; a second Open fails with ErrInUse.
package state

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bounceguard/bounceguard/internal/fileperm"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrInUse is returned by Open when another process holds the state file.
var ErrInUse = errors.New("state in use by another bounceguard process")

// ErrUnsafe marks a state folder that others could change: a
// configuration problem for the person to fix, not one to retry.
var ErrUnsafe = errors.New("unsafe permissions")

// lockWait is how long Open waits for another process's lock: long enough
// to ride out a run that is just closing, short enough that cron jobs
// overlapping a daemon fail at once with a clear message.
const lockWait = time.Second

// Bucket names. Values are JSON so fields can be added without a
// migration; keys that order (IDs) are big-endian integers.
var (
	bucketMeta  = []byte("meta")
	bucketSent  = []byte("sent")
	bucketSync  = []byte("sync")
	bucketMoves = []byte("moves")
	bucketRuns  = []byte("runs")
)

// schemaVersion is stored in the meta bucket so a layout change can
// recognise an old file. Version 2 stores the sent index in packed batches
// (version 1 had one JSON value per message); Open upgrades a version 1
// file by dropping its sent index, which the next run rebuilds.
const schemaVersion = "2"

// Store is one account's state file.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens or creates the state file at path. Its directory is created
// with mode 0700 when missing, and refused when it exists but is writable
// by group or others (or, on Unix, belongs to another user): anyone who
// can replace the file can rewrite the audit log that restore trusts. The
// file itself is created with, or set to, mode 0600.
func Open(path string) (*Store, error) {
	if err := ensureDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("opening state %s: not a regular file", path)
		}
		if fi.Mode().Perm() != 0o600 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, fmt.Errorf("opening state %s: setting mode 0600: %w", path, err)
			}
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening state %s: %w (waited %v for its lock)", path, ErrInUse, lockWait)
	}
	if err != nil {
		return nil, fmt.Errorf("opening state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketSent, bucketSync, bucketMoves, bucketRuns} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get([]byte("schema")); {
		case v == nil || string(v) == schemaVersion:
		case string(v) == "1":
			if err := tx.DeleteBucket(bucketSent); err != nil {
				return fmt.Errorf("dropping the version 1 sent index: %w", err)
			}
			if _, err := tx.CreateBucket(bucketSent); err != nil {
				return err
			}
		default:
			return fmt.Errorf("schema version %q, this program knows %q (delete the file to start afresh)", v, schemaVersion)
		}
		return meta.Put([]byte("schema"), []byte(schemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising state %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close releases the file and its lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing state %s: %w", s.path, err)
	}
	return nil
}

// Path returns the file the Store was opened from.
func (s *Store) Path() string { return s.path }

// ensureDir creates dir with mode 0700, or checks that an existing one is
// private enough.
func ensureDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating state directory %s: %w", dir, err)
		}
		// MkdirAll's mode passes through the umask; say exactly what we mean.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("creating state directory %s: %w", dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking state directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state directory %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: state directory %s is writable by group or others (mode %04o); fix it with: chmod 700 %s", ErrUnsafe,
			dir, fi.Mode().Perm(), dir)
	}
	if uid, ok := fileperm.Owner(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("state directory %s belongs to uid %d, not to you (uid %d)", dir, uid, os.Getuid())
	}
	return nil
}

// DefaultDir returns where state files live: $XDG_STATE_HOME/bounceguard,
// or ~/.local/state/bounceguard. A relative XDG_STATE_HOME is ignored, as
// the XDG Base Directory specification requires.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "bounceguard"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "bounceguard"), nil
}

// maxNameBytes keeps file names well under the usual 255-byte limit.
const maxNameBytes = 200

// AccountFile returns the state file for account (e.g. "user@host") in
// dir. Bytes other than letters, digits and "@._+-" are written as %XX,
// and so is a leading dot, so the name can neither leave dir nor hide
// itself; distinct accounts always get distinct names, except that very
// long ones are shortened with a hash of the whole account.
func AccountFile(dir, account string) string {
	var b strings.Builder
	for i := 0; i < len(account); i++ {
		c := account[i]
		safe := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("@._+-", c) >= 0
		if !safe || (i == 0 && c == '.') {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	name := b.String()
	if name == "" {
		name = "%"
	}
	if len(name) > maxNameBytes {
		sum := sha256.Sum256([]byte(account))
		name = fmt.Sprintf("%s-%x", name[:maxNameBytes-17], sum[:8])
	}
	return filepath.Join(dir, name+".db")
}
