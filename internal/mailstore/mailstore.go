// Package mailstore reads mail stored on disk for the offline commands:
// single message files, directories of them, Maildir folders and mbox
// files. Everything read is treated as hostile: message sizes are capped,
// directory depth is capped, and a file that cannot be read is reported
// and passed over rather than ending the walk.
package mailstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxMessageSize is the largest message Walk hands over. Larger ones are
// reported with ErrTooLarge instead, so that a stray disk image or a
// corrupt mbox cannot exhaust memory.
const MaxMessageSize = 64 << 20

// maxDepth caps directory recursion; real mail trees are a few levels deep.
const maxDepth = 64

// ErrTooLarge is set in Source.Err for a message over the size limit.
var ErrTooLarge = errors.New("message too large")

// Source is one message found on disk.
type Source struct {
	// Name says where the message came from: the file's path, or for a
	// message in an mbox file "path#N" with N counting from 1.
	Name string
	// Raw is the message as stored (line endings untouched), without an
	// mbox "From " line and with mbox ">From " quoting undone. The
	// callback may keep it.
	Raw []byte
	// Err is set, and Raw nil, when the message could not be read or is
	// over MaxMessageSize.
	Err error
}

// Walk reads the messages at path and calls fn for each, in order:
//   - a regular file whose first line starts with "From " and whose name
//     does not end in ".eml" is an mbox file: one Source per message;
//   - any other regular file is one message;
//   - a directory with cur and new subdirectories is a Maildir: the files
//     in cur, then new, each in name order (tmp holds unfinished
//     deliveries and is skipped, and Maildir++ subfolders are not entered:
//     name them to read them);
//   - any other directory is walked recursively in name order, skipping
//     names that start with "." and symbolic links to directories.
//
// An empty file holds no messages. A file that cannot be read yields a
// Source with Err set, and the walk goes on. Walk returns an error only
// when path itself cannot be found, when ctx is done, or when fn returns
// one (which ends the walk and is returned as is).
func Walk(ctx context.Context, path string, fn func(m Source) error) error {
	return walker{max: MaxMessageSize, fn: fn}.walk(ctx, path)
}

// walker carries the limits so tests can use small ones.
type walker struct {
	max int64
	fn  func(Source) error
}

func (w walker) walk(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading mail at %s: %w", path, err)
	}
	if fi.IsDir() {
		return w.dir(ctx, path, 0)
	}
	return w.file(ctx, path, fi)
}

func (w walker) dir(ctx context.Context, dir string, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if depth > maxDepth {
		return w.fn(Source{Name: dir, Err: fmt.Errorf("directory nested deeper than %d levels", maxDepth)})
	}
	if isMaildir(dir) {
		return w.maildir(ctx, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		// ReadDir returns what it read before failing; report and go on.
		if ferr := w.fn(Source{Name: dir, Err: fmt.Errorf("listing directory: %w", err)}); ferr != nil {
			return ferr
		}
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if err := w.dir(ctx, p, depth+1); err != nil {
				return err
			}
			continue
		}
		fi, err := os.Stat(p) // follows a link to a file
		if err != nil {
			if ferr := w.fn(Source{Name: p, Err: err}); ferr != nil {
				return ferr
			}
			continue
		}
		if fi.IsDir() {
			continue // a link to a directory: could loop
		}
		if err := w.file(ctx, p, fi); err != nil {
			return err
		}
	}
	return nil
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

func (w walker) maildir(ctx context.Context, dir string) error {
	for _, sub := range []string{"cur", "new"} {
		d := filepath.Join(dir, sub)
		entries, err := os.ReadDir(d)
		if err != nil {
			if ferr := w.fn(Source{Name: d, Err: fmt.Errorf("listing Maildir: %w", err)}); ferr != nil {
				return ferr
			}
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Dot files are not deliveries (RFC-less, but every Maildir
			// writer follows qmail's rule).
			if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
				continue
			}
			p := filepath.Join(d, e.Name())
			fi, err := e.Info()
			if err != nil {
				if ferr := w.fn(Source{Name: p, Err: err}); ferr != nil {
					return ferr
				}
				continue
			}
			if err := w.fn(w.single(p, fi)); err != nil {
				return err
			}
		}
	}
	return nil
}

// file reads one regular file given on the command line or found in a
// directory: as an mbox when it looks like one, else as one message.
func (w walker) file(ctx context.Context, path string, fi fs.FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		// A FIFO or device could block forever or never end.
		return w.fn(Source{Name: path, Err: fmt.Errorf("not a regular file (%s)", fi.Mode().Type())})
	}
	if fi.Size() == 0 {
		return nil
	}
	// An .eml file is never mbox-quoted, so a body line starting with
	// "From " must not split it.
	if strings.EqualFold(filepath.Ext(path), ".eml") {
		return w.fn(w.single(path, fi))
	}
	f, err := os.Open(path)
	if err != nil {
		return w.fn(Source{Name: path, Err: err})
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(len(fromLine))
	if !bytes.Equal(head, fromLine) {
		return w.fn(w.readSingle(path, fi, br))
	}
	err = splitMbox(br, w.max, func(n int, raw []byte, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return w.fn(Source{Name: fmt.Sprintf("%s#%d", path, n), Raw: raw, Err: err})
	})
	return err
}

// single reads a file that holds one message (a Maildir file or .eml).
func (w walker) single(path string, fi fs.FileInfo) Source {
	if fi.Size() > w.max {
		return tooLarge(path, w.max) // without opening it
	}
	f, err := os.Open(path)
	if err != nil {
		return Source{Name: path, Err: err}
	}
	defer f.Close()
	return w.readSingle(path, fi, f)
}

func (w walker) readSingle(path string, fi fs.FileInfo, r io.Reader) Source {
	if fi.Size() > w.max {
		return tooLarge(path, w.max)
	}
	// Read one byte past the limit: the file may have grown since Stat.
	// The buffer is sized from Stat once, rather than grown by doubling.
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead)
	_, err := buf.ReadFrom(io.LimitReader(r, w.max+1))
	raw := buf.Bytes()
	if err != nil {
		return Source{Name: path, Err: fmt.Errorf("reading message: %w", err)}
	}
	if int64(len(raw)) > w.max {
		return tooLarge(path, w.max)
	}
	return Source{Name: path, Raw: dropFromLine(raw)}
}

func tooLarge(name string, max int64) Source {
	return Source{Name: name, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)}
}

// dropFromLine removes a leading mbox "From " line, which many saved .eml
// files and some Maildir deliveries keep but which is no header field.
// Its end may be LF, CRLF or a lone CR (old Mac files).
func dropFromLine(raw []byte) []byte {
	if !bytes.HasPrefix(raw, fromLine) {
		return raw
	}
	i := bytes.IndexAny(raw, "\r\n")
	if i < 0 {
		return raw[len(raw):]
	}
	if raw[i] == '\r' && i+1 < len(raw) && raw[i+1] == '\n' {
		i++
	}
	return raw[i+1:]
}
