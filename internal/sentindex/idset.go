package sentindex

import (
	"math/bits"
	"math/rand/v2"
)

// idSet is the set of sent Message-IDs, by hashID: a hash table with open
// addressing and linear probing over one slice of uint64.
//
// It replaces a map[uint64]struct{} for two reasons. Memory: a Go map
// spends 16 bytes a slot on a uint64 key with an empty value, this 8.
// Loading: a stored index adds a million ids at once, and into a map each
// lands on a random cache line (and page) of a table of tens of MB, which
// makes the insertions most of the load's time. Here an id's slot is the
// top bits of its mixed hash, so adding a batch's ids in the order of
// their mixed hashes (addSorted) walks through the table from one end to
// the other instead.
//
// The slots hold mixID of the hashes rather than the hashes: mixID is a
// bijection, so the set of one is the set of the other, and the slot of a
// stored value is found again without mixing it when the table grows.
type idSet struct {
	slots []uint64 // mixed hashes; 0 marks a free slot
	shift uint     // 64 - log2(len(slots)): a value's home slot is v>>shift
	n     int      // values in slots
	zero  bool     // whether the value 0, which cannot be in a slot, is in the set
}

// idSeed makes the slots differ from one process to another: hashID is
// fixed and public, and without it crafted Message-IDs could all be made
// to want the same few slots. (A Go map seeds its hash the same way.)
var idSeed = rand.Uint64()

// mixID is the value stored for the Message-ID hash h: h with the seed,
// scrambled so that every bit of it moves the top bits (the finalizer of
// MurmurHash3, a bijection).
func mixID(h uint64) uint64 {
	h ^= idSeed
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// minIDSlots is the size of the smallest table.
const minIDSlots = 8

// idRoom is how many values a table of the given number of slots takes
// before it grows: three in four, which keeps probes short (a look-up of
// an absent id reads a couple of cache lines at worst on average).
func idRoom(slots int) int { return slots - slots/4 }

// len returns the number of ids in the set.
func (s *idSet) len() int {
	if s.zero {
		return s.n + 1
	}
	return s.n
}

// has reports whether the mixed hash v is in the set.
func (s *idSet) has(v uint64) bool {
	if v == 0 {
		return s.zero
	}
	if len(s.slots) == 0 {
		return false
	}
	mask := len(s.slots) - 1
	for i := int(v >> s.shift); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case v:
			return true
		case 0:
			return false
		}
	}
}

// add adds the mixed hash v.
func (s *idSet) add(v uint64) {
	if v == 0 {
		s.zero = true
		return
	}
	if s.n >= idRoom(len(s.slots)) {
		s.resize(max(minIDSlots, 2*len(s.slots)))
	}
	s.put(v)
}

// put stores v, which is not 0, unless it is there already. There must
// be a free slot.
func (s *idSet) put(v uint64) {
	mask := len(s.slots) - 1
	for i := int(v >> s.shift); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case v:
			return
		case 0:
			s.slots[i] = v
			s.n++
			return
		}
	}
}

// reserve makes room for n more values, so that adding them does not grow
// the table.
func (s *idSet) reserve(n int) {
	want := s.n + n
	if n <= 0 || want <= idRoom(len(s.slots)) {
		return
	}
	size := minIDSlots
	for idRoom(size) < want && size < 1<<62 {
		size *= 2
	}
	s.resize(size)
}

// resize moves the values into a table of size slots, a power of two
// with room for them. The old table is read in order and the values'
// slots in the new one follow the same order, so this too walks through
// memory rather than jumping about.
func (s *idSet) resize(size int) {
	old := s.slots
	s.slots = make([]uint64, size)
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	s.n = 0
	for _, v := range old {
		if v != 0 {
			s.put(v)
		}
	}
}

// addSorted adds the mixed hashes vs, which sortTop16 has sorted: the
// slots are then visited in order.
func (s *idSet) addSorted(vs []uint64) {
	s.reserve(len(vs))
	for _, v := range vs {
		if v == 0 {
			s.zero = true
			continue
		}
		s.put(v)
	}
}

// sortTop16 sorts vs by their top 16 bits (a radix sort, two passes of a
// byte each), using tmp, of the same length, as scratch space. That is as
// far as addSorted needs: values with the same top 16 bits want slots
// that are near one another in any table of a size that matters.
func sortTop16(vs, tmp []uint64) {
	src, dst := vs, tmp[:len(vs)]
	for _, shift := range [2]uint{48, 56} {
		var count [257]int
		for _, v := range src {
			count[int(byte(v>>shift))+1]++
		}
		for i := 1; i < len(count); i++ {
			count[i] += count[i-1]
		}
		for _, v := range src {
			b := byte(v >> shift)
			dst[count[b]] = v
			count[b]++
		}
		src, dst = dst, src
	}
	// After an even number of passes the result is back in vs.
}
