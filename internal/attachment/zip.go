package attachment

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// A small zip reader of our own rather than archive/zip: archive/zip
// builds a File for every central directory record before handing any back,
// so a hostile directory costs memory in proportion to its (unchecked)
// size. Walking the records one at a time keeps the cost of a 100,000-entry
// archive to the entries we agree to look at. Format: PKWARE APPNOTE.TXT.

const (
	sigLocal     = 0x04034b50
	sigCentral   = 0x02014b50
	sigEnd       = 0x06054b50
	sigEnd64     = 0x06064b50
	sigLocator64 = 0x07064b50

	endLen       = 22 // APPNOTE 4.3.16
	locator64Len = 20 // APPNOTE 4.3.15
	end64Len     = 56 // APPNOTE 4.3.14, without the extensible data
	centralLen   = 46 // APPNOTE 4.3.12
	localLen     = 30 // APPNOTE 4.3.7

	flagEncrypted = 0x1

	methodStored  = 0
	methodDeflate = 8
)

var errNotZip = errors.New("no zip end of central directory record")

// zipDir is an archive's central directory, found but not yet read.
type zipDir struct {
	data       []byte
	start, end int // the central directory's bytes in data
	base       int // data prepended to the archive (self-extractors)
}

// zipEntry is one central directory record.
type zipEntry struct {
	name        string // as stored: CP437 or UTF-8
	unicodeName string // Info-ZIP Unicode Path extra field, when present
	flags       uint16
	method      uint16
	csize       uint64
	usize       uint64
	offset      uint64 // of the local header, relative to the archive start
}

// openZip finds the central directory of the archive in data.
func openZip(data []byte) (*zipDir, error) {
	// The end record sits in the last 22 bytes plus a comment of up to
	// 64 KiB; search backwards for its signature.
	lowest := max(len(data)-endLen-0xffff, 0)
	eocd := -1
	for i := len(data) - endLen; i >= lowest; i-- {
		if binary.LittleEndian.Uint32(data[i:]) == sigEnd {
			eocd = i
			break
		}
	}
	if eocd < 0 {
		return nil, errNotZip
	}
	e := data[eocd:]
	size := uint64(binary.LittleEndian.Uint32(e[12:]))
	offset := uint64(binary.LittleEndian.Uint32(e[16:]))
	dirEnd := eocd
	if size == 0xffffffff || offset == 0xffffffff || binary.LittleEndian.Uint16(e[10:]) == 0xffff {
		if s, o, at, ok := zip64End(data, eocd); ok {
			size, offset, dirEnd = s, o, at
		}
	}
	if size > uint64(dirEnd) {
		return nil, errors.New("central directory larger than the archive")
	}
	// Where the directory really starts; it differs from offset when
	// something was prepended to the archive.
	start := dirEnd - int(size)
	base := 0
	if offset <= uint64(start) {
		base = start - int(offset)
	}
	return &zipDir{data: data, start: start, end: dirEnd, base: base}, nil
}

// zip64End reads the Zip64 end record that the locator before the end
// record at eocd points to.
func zip64End(data []byte, eocd int) (size, offset uint64, at int, ok bool) {
	loc := eocd - locator64Len
	if loc < end64Len || binary.LittleEndian.Uint32(data[loc:]) != sigLocator64 {
		return 0, 0, 0, false
	}
	// Where the locator says, or, when something was prepended to the
	// archive, right before the locator.
	candidates := []int{-1, loc - end64Len}
	if a := binary.LittleEndian.Uint64(data[loc+8:]); a <= uint64(loc-end64Len) {
		candidates[0] = int(a)
	}
	for _, a := range candidates {
		if a >= 0 && binary.LittleEndian.Uint32(data[a:]) == sigEnd64 {
			r := data[a:]
			return binary.LittleEndian.Uint64(r[40:]), binary.LittleEndian.Uint64(r[48:]), a, true
		}
	}
	return 0, 0, 0, false
}

// each calls fn for each central directory record, in order, until fn
// returns false or a record does not parse.
func (z *zipDir) each(fn func(e *zipEntry) bool) {
	d := z.data[:z.end]
	for p := z.start; p+centralLen <= len(d); {
		if binary.LittleEndian.Uint32(d[p:]) != sigCentral {
			return
		}
		h := d[p:]
		nameLen := int(binary.LittleEndian.Uint16(h[28:]))
		extraLen := int(binary.LittleEndian.Uint16(h[30:]))
		commentLen := int(binary.LittleEndian.Uint16(h[32:]))
		next := p + centralLen + nameLen + extraLen + commentLen
		if next > len(d) {
			return
		}
		e := zipEntry{
			flags:  binary.LittleEndian.Uint16(h[8:]),
			method: binary.LittleEndian.Uint16(h[10:]),
			csize:  uint64(binary.LittleEndian.Uint32(h[20:])),
			usize:  uint64(binary.LittleEndian.Uint32(h[24:])),
			offset: uint64(binary.LittleEndian.Uint32(h[42:])),
			name:   string(h[centralLen : centralLen+nameLen]),
		}
		e.readExtra(h[centralLen+nameLen : centralLen+nameLen+extraLen])
		// Sizes past 2^62 are lies; capping them keeps arithmetic on
		// them from overflowing.
		e.csize, e.usize = min(e.csize, 1<<62), min(e.usize, 1<<62)
		if !fn(&e) {
			return
		}
		p = next
	}
}

// readExtra applies the extra fields that matter here: Zip64 sizes and
// offset (APPNOTE 4.5.3) and the Info-ZIP Unicode Path (0x7075), a second
// name that unzip and 7-Zip prefer over the stored one.
func (e *zipEntry) readExtra(x []byte) {
	for len(x) >= 4 {
		tag := binary.LittleEndian.Uint16(x)
		n := int(binary.LittleEndian.Uint16(x[2:]))
		if 4+n > len(x) {
			return
		}
		f := x[4 : 4+n]
		switch tag {
		case 0x0001:
			// Only the fields whose 32-bit value is saturated are
			// present, in this order.
			for _, v := range []*uint64{&e.usize, &e.csize, &e.offset} {
				if *v == 0xffffffff && len(f) >= 8 {
					*v = binary.LittleEndian.Uint64(f)
					f = f[8:]
				}
			}
		case 0x7075:
			if len(f) > 5 && f[0] == 1 {
				e.unicodeName = string(f[5:])
			}
		}
		x = x[4+n:]
	}
}

// content returns the entry's stored (possibly compressed) bytes, cut short
// when the archive is; ok is false when the local header is not there.
func (z *zipDir) content(e *zipEntry) (b []byte, ok bool) {
	if e.offset > uint64(len(z.data)) {
		return nil, false
	}
	p := z.base + int(e.offset)
	if p+localLen > len(z.data) || binary.LittleEndian.Uint32(z.data[p:]) != sigLocal {
		return nil, false
	}
	h := z.data[p:]
	start := p + localLen + int(binary.LittleEndian.Uint16(h[26:])) + int(binary.LittleEndian.Uint16(h[28:]))
	if start > len(z.data) {
		return nil, false
	}
	// The central directory's size is the one to trust: the local header's
	// is zero when a data descriptor follows the data.
	end := len(z.data)
	if e.csize < uint64(end-start) {
		end = start + int(e.csize)
	}
	return z.data[start:end], true
}

// isZip reports whether b starts like a zip archive.
func isZip(b []byte) bool {
	return bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06")) ||
		bytes.HasPrefix(b, []byte("PK\x07\x08"))
}
