package attachment

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

func TestEICARBytes(t *testing.T) {
	e := testEICAR()
	if len(e) != 68 || !bytes.Equal(e, eicar()) {
		t.Fatalf("EICAR string: %d bytes, equal to the package's: %v", len(e), bytes.Equal(e, eicar()))
	}
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{e, true},
		{append(append([]byte{}, e...), "\r\n"...), true},
		{append(append([]byte{}, e...), " \t\x1a\n"...), true},
		{append(append([]byte{}, e...), bytes.Repeat([]byte(" "), 61)...), false}, // over 128 bytes
		{append(append([]byte{}, e...), "x"...), false},
		{append([]byte(" "), e...), false},
		{e[:67], false},
	} {
		if got := isEICAR(tc.b); got != tc.want {
			t.Errorf("isEICAR(%q) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// TestRules builds one message per rule and expects that rule's finding on
// the named part.
func TestRules(t *testing.T) {
	pe, elf, eicarFile := peFile(), elfFile(), testEICAR()
	// A zip whose central directory says the member is 10 bytes but which
	// inflates to 100 KiB.
	liar := makeZip(t, zfile{name: "small.txt", body: bytes.Repeat([]byte("a"), 100<<10)})
	if i := bytes.Index(liar, []byte("PK\x01\x02")); i >= 0 {
		binary.LittleEndian.PutUint32(liar[i+24:], 10)
	}
	embedded := message(t, att{name: "test.txt", ctype: "text/plain", body: eicarFile})

	for _, tc := range []struct {
		name string
		msg  []byte
		rule string
		part string
	}{
		{"exe", message(t, att{name: "setup.exe", body: pe}), RuleBannedExtension, "setup.exe"},
		{"upper case", message(t, att{name: "SETUP.EXE", body: []byte("x")}), RuleBannedExtension, "SETUP.EXE"},
		{"trailing dot and space", message(t, att{name: "run.exe. ", body: []byte("x")}), RuleBannedExtension, "run.exe. "},
		{"script", message(t, att{name: "update.js", ctype: "text/javascript", body: []byte("WScript.Echo(1)")}), RuleBannedExtension, "update.js"},
		{"powershell", message(t, att{name: "x.ps1", body: []byte("Write-Host 1")}), RuleBannedExtension, "x.ps1"},
		{"disk image", message(t, att{name: "scan.iso", body: make([]byte, 100)}), RuleBannedExtension, "scan.iso"},
		{"shortcut", message(t, att{name: "Document.lnk", body: []byte("L\x00\x00\x00")}), RuleBannedExtension, "Document.lnk"},
		{"hta", message(t, att{name: "a.hta", ctype: "application/hta", body: []byte("<html>")}), RuleBannedExtension, "a.hta"},
		{"path in name", message(t, att{name: `C:\temp\x.scr`, body: []byte("x")}), RuleBannedExtension, `C:\temp\x.scr`},

		{"double", message(t, att{name: "invoice.pdf.exe", body: pe}), RuleDoubleExtension, "invoice.pdf.exe"},
		{"double padded", message(t, att{name: "invoice.pdf                    .exe", body: []byte("x")}), RuleDoubleExtension, "invoice.pdf                    .exe"},
		{"double underscores", message(t, att{name: "photo.jpg______.scr", body: []byte("x")}), RuleDoubleExtension, "photo.jpg______.scr"},
		{"double with doc", message(t, att{name: "CV.docx.js", body: []byte("x")}), RuleDoubleExtension, "CV.docx.js"},

		{"right-to-left override", message(t, att{name: "photo\u202egpj.exe", body: []byte("x")}), RuleUnicodeTrick, "photo<U+202E>gpj.exe"},
		{"zero-width space", message(t, att{name: "report\u200b.pdf", body: pdfFile}), RuleUnicodeTrick, "report<U+200B>.pdf"},
		{"isolate", message(t, att{name: "a\u2067fdp.b", body: []byte("x")}), RuleUnicodeTrick, "a<U+2067>fdp.b"},
		{"zero-width joiner in ASCII", message(t, att{name: "inv\u200doice.e\u200dxe", body: []byte("x")}), RuleBannedExtension, "inv<U+200D>oice.e<U+200D>xe"},
		{"control character", message(t, att{name: "a.pdf\x01.txt", body: []byte("x")}), RuleUnicodeTrick, "a.pdf<U+0001>.txt"},

		{"exe in zip", message(t, att{name: "files.zip", body: makeZip(t,
			zfile{name: "docs/readme.txt", body: []byte("hi")},
			zfile{name: "docs/run.exe", body: pe})}), RuleArchiveMember, "files.zip"},
		{"script in zip, stored", message(t, att{name: "Invoice.zip", ctype: "application/zip", body: makeZip(t,
			zfile{name: "Invoice_2024.js", body: []byte("var x"), store: true})}), RuleArchiveMember, "Invoice.zip"},
		{"double extension in zip", message(t, att{name: "a.zip", body: makeZip(t,
			zfile{name: "scan.pdf.exe", body: []byte("x")})}), RuleDoubleExtension, "a.zip"},
		{"unicode trick in zip", message(t, att{name: "a.zip", body: makeZip(t,
			zfile{name: "scan\u202efdp.txt", body: []byte("x")})}), RuleUnicodeTrick, "a.zip"},
		{"nested zip", message(t, att{name: "outer.zip", body: nest(t, zfile{name: "deep/payload.vbs", body: []byte("x")}, 3)}), RuleArchiveMember, "outer.zip"},
		{"unicode path extra", message(t, att{name: "a.zip", body: makeZip(t,
			zfile{name: "notes.txt", body: []byte("x"), extra: unicodePathExtra("notes.exe")})}), RuleArchiveMember, "a.zip"},
		{"zip not named zip", message(t, att{name: "data.bin", body: makeZip(t, zfile{name: "x.cmd", body: []byte("x")})}), RuleArchiveMember, "data.bin"},
		{"jar in zip", message(t, att{name: "app.zip", body: makeZip(t, zfile{name: "app.jar", body: makeZip(t, zfile{name: "META-INF/MANIFEST.MF", body: []byte("x")})})}), RuleArchiveMember, "app.zip"},

		{"encrypted", message(t, att{name: "secret.zip", body: makeZip(t,
			zfile{name: "document.doc", body: []byte("x"), encrypted: true})}), RuleEncrypted, "secret.zip"},

		{"exe as pdf", message(t, att{name: "invoice.pdf", ctype: "application/pdf", body: pe}), RuleTypeMismatch, "invoice.pdf"},
		{"exe without name", message(t, att{body: pe}), RuleTypeMismatch, "part 2"},
		{"exe as jpg in zip", message(t, att{name: "photos.zip", body: makeZip(t, zfile{name: "IMG_0001.jpg", body: pe})}), RuleTypeMismatch, "photos.zip"},
		{"elf as doc", message(t, att{name: "report.doc", body: elf}), RuleTypeMismatch, "report.doc"},
		{"zip as jpg", message(t, att{name: "photo.jpg", ctype: "image/jpeg", body: makeZip(t, zfile{name: "a.txt", body: []byte("x")})}), RuleTypeMismatch, "photo.jpg"},
		{"zip declared pdf", message(t, att{ctype: "application/pdf", body: makeZip(t, zfile{name: "a.txt", body: []byte("x")})}), RuleTypeMismatch, "part 2"},
		{"jar as doc", message(t, att{name: "contract.doc", body: makeZip(t, zfile{name: "META-INF/MANIFEST.MF", body: []byte("Main-Class: A")}, zfile{name: "A.class", body: []byte("\xca\xfe\xba\xbe\x00\x00\x00\x34")})}), RuleTypeMismatch, "contract.doc"},
		{"rar as pdf", message(t, att{name: "scan.pdf", body: []byte("Rar!\x1a\x07\x01\x00rest")}), RuleTypeMismatch, "scan.pdf"},

		{"eicar attachment", message(t, att{name: "eicar.com.txt", ctype: "text/plain", body: eicarFile}), RuleEICAR, "eicar.com.txt"},
		{"eicar body", message(t, att{ctype: "text/plain", body: append(eicarFile, "\r\n"...), raw: true}), RuleEICAR, "part 2"},
		{"eicar in zip", message(t, att{name: "test.zip", body: makeZip(t, zfile{name: "eicar.txt", body: eicarFile})}), RuleEICAR, "test.zip"},
		{"eicar in nested zip", message(t, att{name: "test.zip", body: nest(t, zfile{name: "eicar.txt", body: eicarFile}, 2)}), RuleEICAR, "test.zip"},
		{"eicar in embedded message", message(t, att{name: "fwd.eml", ctype: "message/rfc822", body: embedded, raw: true}), RuleEICAR, "test.txt"},

		{"message/partial", message(t, att{ctype: `message/partial; id="abc@example.org"; number=1; total=2`, body: []byte("Subject: x\r\n\r\nfragment\r\n"), raw: true}), RuleMessagePartial, "part 2"},
		{"message/external-body", message(t, att{ctype: `message/external-body; access-type=URL; URL="http://example.org/x.exe"`, body: []byte("Content-Type: application/octet-stream\r\n\r\n"), raw: true}), RuleExternalBody, "part 2"},

		{"zip bomb", message(t, att{name: "bomb.zip", body: makeZip(t, zfile{name: "zeros.bin", body: make([]byte, 20<<20)})}), RuleArchiveBomb, "bomb.zip"},
		{"lying sizes", message(t, att{name: "liar.zip", body: liar}), RuleArchiveBomb, "liar.zip"},
		{"nested too deep", message(t, att{name: "deep.zip", body: nest(t, zfile{name: "a.txt", body: []byte("x")}, DefaultMaxArchiveDepth+1)}), RuleNestedDepth, "deep.zip"},
		{"nested too deep, large", message(t, att{name: "deep.zip", body: nest(t, zfile{name: "a.bin", body: bytes.Repeat([]byte("0123456789abcdef"), 1<<10), store: true}, DefaultMaxArchiveDepth+1)}), RuleNestedDepth, "deep.zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := checkMessage(tc.msg)
			for _, f := range fs {
				if f.Rule == tc.rule && f.Part == tc.part {
					t.Logf("%s: %s", f.Part, f)
					return
				}
			}
			t.Errorf("want %s on %q, got %+v", tc.rule, tc.part, fs)
		})
	}
}

// unicodePathExtra builds an Info-ZIP Unicode Path extra field.
func unicodePathExtra(name string) []byte {
	b := []byte{0x75, 0x70, 0, 0, 1, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(b[2:], uint16(5+len(name)))
	return append(b, name...)
}

// TestLegitimate checks that ordinary attachments raise nothing.
func TestLegitimate(t *testing.T) {
	ics := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Meeting\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	vcf := []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Example\r\nEMAIL:ann@example.org\r\nEND:VCARD\r\n")
	// DER starts with a SEQUENCE; the rest does not matter here.
	p7s := append([]byte{0x30, 0x82, 0x05, 0x12, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}, make([]byte, 200)...)
	forwarded := message(t, att{name: "minutes.pdf", ctype: "application/pdf", body: pdfFile})

	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"pdf", message(t, att{name: "report.pdf", ctype: "application/pdf", body: pdfFile})},
		{"docx", message(t, att{name: "letter.docx", ctype: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", body: ooxml(t, "word")})},
		{"xlsx", message(t, att{name: "budget.xlsx", ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body: ooxml(t, "xl")})},
		{"pptx", message(t, att{name: "slides.pptx", ctype: "application/vnd.openxmlformats-officedocument.presentationml.presentation", body: ooxml(t, "ppt")})},
		{"docx under .doc", message(t, att{name: "export.doc", ctype: "application/msword", body: ooxml(t, "word")})},
		{"png", message(t, att{name: "chart.png", ctype: "image/png", body: pngFile(t)})},
		{"jpg", message(t, att{name: "IMG_2041.JPG", ctype: "image/jpeg", body: jpegFile(t)})},
		{"inline image without name", message(t, att{ctype: "image/png", body: pngFile(t)})},
		{"zip of pdfs", message(t, att{name: "scans.zip", ctype: "application/zip", body: makeZip(t,
			zfile{name: "scans/", body: nil},
			zfile{name: "scans/page1.pdf", body: pdfFile},
			zfile{name: "scans/page2.pdf", body: pdfFile},
			zfile{name: "scans/report.final.v2.pdf", body: pdfFile})})},
		{"zip of docx", message(t, att{name: "contracts.zip", body: makeZip(t,
			zfile{name: "a.docx", body: ooxml(t, "word")},
			zfile{name: "b.xlsx", body: ooxml(t, "xl")})})},
		{"ics", message(t, att{name: "invite.ics", ctype: "text/calendar; method=REQUEST", body: ics})},
		{"vcf", message(t, att{name: "ann.vcf", ctype: "text/vcard", body: vcf})},
		{"p7s", message(t, att{name: "smime.p7s", ctype: "application/pkcs7-signature", body: p7s})},
		{"p7m", message(t, att{name: "smime.p7m", ctype: "application/pkcs7-mime; smime-type=enveloped-data", body: p7s})},
		{"forwarded message", message(t, att{name: "fwd.eml", ctype: "message/rfc822", body: forwarded, raw: true})},
		{"tarball", message(t, att{name: "src.tar.gz", ctype: "application/gzip", body: []byte("\x1f\x8b\x08\x00rest")})},
		{"persian name with ZWNJ", message(t, att{name: "نامه\u200cها.pdf", ctype: "application/pdf", body: pdfFile})},
		{"hebrew name with RLM", message(t, att{name: "דוח\u200f 2024.pdf", ctype: "application/pdf", body: pdfFile})},
		{"emoji with ZWJ", message(t, att{name: "family 👨\u200d👩\u200d👧.jpg", ctype: "image/jpeg", body: jpegFile(t)})},
		{"zip declared text/plain", message(t, att{name: "files.zip", ctype: "text/plain", body: makeZip(t, zfile{name: "a.pdf", body: pdfFile})})},
		{"text starting with MZ", message(t, att{name: "notes.txt", ctype: "text/plain", body: []byte("MZ Corp quarterly notes: revenue up, costs down, all good in the end.\n")})},
		{"certificate", message(t, att{name: "ca.crt", ctype: "application/x-x509-ca-cert", body: []byte("-----BEGIN CERTIFICATE-----\n")})},
		{"python script", message(t, att{name: "fix.py", ctype: "text/x-python", body: []byte("print(1)\n")})},
		{"ELF shared library", message(t, att{name: "libfoo.so", body: elfFile()})},
		{"truncated zip", message(t, att{name: "broken.zip", body: makeZip(t, zfile{name: "a.pdf", body: pdfFile})[:60]})},
		{"plain text", []byte("From: a@example.org\r\nSubject: hi\r\n\r\nJust text, X5O and MZ and PK.\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fs := checkMessage(tc.msg); len(fs) > 0 {
				t.Errorf("want no findings, got %+v", fs)
			}
		})
	}
}

func TestPolicyKnobs(t *testing.T) {
	enc := message(t, att{name: "secret.zip", body: makeZip(t, zfile{name: "salaries.xlsx", body: []byte("x"), encrypted: true})})
	p := DefaultPolicy()
	p.AllowEncrypted = true
	if fs := p.Check(mailparse.Parse(enc)); len(fs) > 0 {
		t.Errorf("AllowEncrypted: got %+v", fs)
	}

	p = DefaultPolicy()
	delete(p.BannedExt, "exe")
	if fs := p.Check(mailparse.Parse(message(t, att{name: "tool.exe", body: []byte("not a PE")}))); len(fs) > 0 {
		t.Errorf("exe allowed: got %+v", fs)
	}

	// The zero Policy bans nothing but still applies the content rules.
	var zero Policy
	if fs := zero.Check(mailparse.Parse(message(t, att{name: "x.pdf", body: peFile()}))); rules(fs) != RuleTypeMismatch {
		t.Errorf("zero Policy on an exe named .pdf: got %+v", fs)
	}
}

func TestMaxFindings(t *testing.T) {
	var files []zfile
	for i := range 200 {
		files = append(files, zfile{name: strings.Repeat("x", i%7+1) + ".exe", body: []byte{byte(i)}})
		files = append(files, zfile{name: "f" + strings.Repeat("y", i) + ".scr", body: nil})
	}
	fs := checkMessage(message(t, att{name: "many.zip", body: makeZip(t, files...)}))
	if len(fs) != DefaultMaxFindings {
		t.Errorf("got %d findings, want %d", len(fs), DefaultMaxFindings)
	}
}

func TestFindingString(t *testing.T) {
	fs := checkMessage(message(t, att{name: "invoice.pdf.exe", body: []byte("x")}))
	if len(fs) != 1 {
		t.Fatalf("got %+v", fs)
	}
	want := `double-extension: "invoice.pdf.exe": executable extension .exe behind .pdf`
	if got := fs[0].String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(message(f, att{name: "invoice.pdf.exe", body: peFile()}))
	f.Add(message(f, att{name: "a.zip", body: makeZip(f, zfile{name: "x.js", body: []byte("x")})}))
	f.Add(message(f, att{name: "fwd.eml", ctype: "message/rfc822", body: message(f, att{name: "b.scr", body: []byte("x")}), raw: true}))
	f.Add([]byte("Content-Type: message/partial; id=x\r\n\r\nx"))
	p := DefaultPolicy()
	p.MaxInflated = 1 << 20
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, fd := range p.Check(mailparse.Parse(raw)) {
			if fd.Part == "" || fd.Rule == "" || fd.Detail == "" {
				t.Errorf("incomplete finding %+v", fd)
			}
		}
	})
}
