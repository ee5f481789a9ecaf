package attachment

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

func TestInspectName(t *testing.T) {
	for _, tc := range []struct {
		name, ext, prev string
		padded          bool
		tricks          int
	}{
		{name: "report.pdf", ext: "pdf"},
		{name: "archive.tar.gz", ext: "gz"},
		{name: "invoice.pdf.exe", ext: "exe", prev: "pdf"},
		{name: "invoice.PDF   .EXE", ext: "exe", prev: "pdf", padded: true},
		{name: "invoice.pdf\u3000\u3000\u3000.exe", ext: "exe", prev: "pdf", padded: true},
		{name: "setup.x64.exe", ext: "exe"},
		{name: "run.exe...  ", ext: "exe"},
		{name: "dir/sub/tool.scr", ext: "scr"},
		{name: `dir\tool.bat`, ext: "bat"},
		{name: "photo\u202egpj.exe", ext: "exe", tricks: 1},
		{name: "a.e\u200bxe", ext: "exe", tricks: 1},
		{name: "README", ext: ""},
		{name: ".exe", ext: "exe"},
		{name: "a.pdf.pdf", ext: "pdf"},
		{name: "\xff\xfe.exe", ext: "exe"},
	} {
		got := inspectName(tc.name)
		if got.ext != tc.ext || got.prevExt != tc.prev || got.padded != tc.padded || len(got.tricks) != tc.tricks {
			t.Errorf("inspectName(%q) = %+v, want ext %q prev %q padded %v tricks %d", tc.name, got, tc.ext, tc.prev, tc.padded, tc.tricks)
		}
	}
}

func TestDisplay(t *testing.T) {
	for in, want := range map[string]string{
		"plain.pdf":           "plain.pdf",
		"photo\u202egpj.exe":  "photo<U+202E>gpj.exe",
		"a\x00b":              "a<U+0000>b",
		"نامه\u200cها.pdf":    "نامه<U+200C>ها.pdf",
		"\ufeffbom.txt":       "<U+FEFF>bom.txt",
		"\u2067isolate\u2069": "<U+2067>isolate<U+2069>",
	} {
		if got := display(in); got != want {
			t.Errorf("display(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNames(f *testing.F) {
	for _, s := range []string{"a.pdf.exe", "x\u202eexe.pdf", "نامه\u200cها.pdf", "a  .  .exe. ", "", ".", "\xff"} {
		f.Add(s)
	}
	p := DefaultPolicy().withDefaults()
	f.Fuzz(func(t *testing.T, name string) {
		info := inspectName(name)
		if strings.ContainsAny(info.ext, "/\\") {
			t.Errorf("extension %q of %q holds a path separator", info.ext, name)
		}
		if d := display(name); strings.ContainsFunc(d, isBidiControl) {
			t.Errorf("display(%q) = %q still holds bidi controls", name, d)
		}
		c := &checker{p: p}
		c.name("x", name, "x", false)
	})
}

func ExamplePolicy_Check() {
	raw := "From: worm@example.net\r\nSubject: your invoice\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"invoice.pdf.scr\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n"
	for _, f := range DefaultPolicy().Check(mailparse.Parse([]byte(raw))) {
		fmt.Println(f.Part, "|", f)
	}
	// Output:
	// invoice.pdf.scr | double-extension: "invoice.pdf.scr": executable extension .scr behind .pdf
}
