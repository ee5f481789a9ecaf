package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release's version, set at build time:
//
//	go build -ldflags "-X main.version=v1.2.0" ./cmd/bounceguard
//
// When it is empty, the module version recorded by the Go toolchain is
// used: the tag for "go install …@v1.2.0", "(devel)" for a build from a
// checkout.
var version string

const versionAbout = `Print bounceguard's version, the commit and time it was built from (when
built from a git checkout, with VCS stamping on, as go build does by
default) and the Go version. "bounceguard --version" does the same.
`

func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", versionAbout, stdout)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	fmt.Fprintln(stdout, versionString())
	return exitOK
}

// versionString is "bounceguard VERSION (commit REV, DATE[, modified])
// GO OS/ARCH".
func versionString() string {
	v := version
	var rev, when string
	modified := false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(unknown)"
	}
	out := "bounceguard " + v
	if rev != "" {
		out += " (commit " + rev[:min(len(rev), 12)]
		if when != "" {
			out += ", " + when
		}
		if modified {
			out += ", modified"
		}
		out += ")"
	}
	return fmt.Sprintf("%s %s %s/%s", out, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
