package mailstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

var fromLine = []byte("From ")

// splitMbox reads an mbox stream and calls emit for each message, with its
// number counting from 1. Every line that starts with "From " begins a
// message, as in the mboxo and mboxrd formats, whose writers quote such
// lines in bodies as ">From "; one '>' is taken off any line matching
// ^>+From (mboxrd). The blank line a writer puts before each "From " line
// is not part of the message. A message over max bytes is emitted with
// ErrTooLarge and no bytes; the stream is read line by line, so memory
// stays near max however large the file.
//
// Content before the first "From " line, if any, is message 1.
func splitMbox(r io.Reader, max int64, emit func(n int, raw []byte, err error) error) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	var (
		cur       []byte
		n         int // number of the message being read
		size      int64
		over      bool // cur is over max and was dropped
		lineStart = true
		skipLine  bool // inside a "From " line longer than the buffer
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		if over {
			return emit(n, nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max))
		}
		return emit(n, trimSeparator(cur), nil)
	}
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			atStart := lineStart
			lineStart = chunk[len(chunk)-1] == '\n'
			switch {
			case skipLine:
				skipLine = !lineStart
				chunk = nil
			case atStart && bytes.HasPrefix(chunk, fromLine):
				if ferr := flush(); ferr != nil {
					return ferr
				}
				n++
				cur, size, over = nil, 0, false
				skipLine = !lineStart
				chunk = nil
			case atStart && isQuotedFrom(chunk):
				chunk = chunk[1:]
			}
			if n == 0 && len(chunk) > 0 {
				n = 1
			}
			if len(chunk) > 0 && !over {
				size += int64(len(chunk))
				if size > max {
					over, cur = true, nil
				} else {
					cur = append(cur, chunk...)
				}
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return flush()
		default:
			if n == 0 {
				n = 1
			}
			return emit(n, nil, fmt.Errorf("reading mbox: %w", err))
		}
	}
}

// isQuotedFrom reports whether line matches ^>+From .
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], fromLine)
}

// trimSeparator drops the one empty line that separates a message from
// the next "From " line, in LF or CRLF form.
func trimSeparator(m []byte) []byte {
	switch {
	case bytes.HasSuffix(m, []byte("\r\n\r\n")):
		return m[:len(m)-2]
	case bytes.HasSuffix(m, []byte("\n\n")):
		return m[:len(m)-1]
	case bytes.Equal(m, []byte("\r\n")), bytes.Equal(m, []byte("\n")):
		return m[:0]
	}
	return m
}
