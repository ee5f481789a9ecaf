//go:build unix

package fileperm

import (
	"io/fs"
	"syscall"
)

// Owner returns the numeric owner of a file.
func Owner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
