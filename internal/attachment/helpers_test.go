package attachment

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// att is one MIME part of a test message.
type att struct {
	name  string // file name; "" for none
	ctype string // Content-Type without the name; default application/octet-stream
	body  []byte
	raw   bool // body written as is (8bit), not base64
}

// message builds a multipart/mixed message with a text part and atts.
func message(t testing.TB, atts ...att) []byte {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	text := textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}}
	pw, err := w.CreatePart(text)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte("Please see the attachment.\r\n"))
	for _, a := range atts {
		h := textproto.MIMEHeader{}
		ctype := a.ctype
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		if a.name != "" {
			mt, params, err := mime.ParseMediaType(ctype)
			if err != nil {
				t.Fatal(err)
			}
			params["name"] = a.name
			ctype = mime.FormatMediaType(mt, params)
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.name}))
		}
		h.Set("Content-Type", ctype)
		if !a.raw {
			h.Set("Content-Transfer-Encoding", "base64")
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if a.raw {
			pw.Write(a.body)
			continue
		}
		enc := base64.StdEncoding.EncodeToString(a.body)
		for len(enc) > 76 {
			fmt.Fprintf(pw, "%s\r\n", enc[:76])
			enc = enc[76:]
		}
		fmt.Fprintf(pw, "%s\r\n", enc)
	}
	w.Close()
	return []byte("From: sender@example.org\r\nTo: rcpt@example.net\r\nSubject: test\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"" + w.Boundary() + "\"\r\n\r\n" + body.String())
}

// zfile is one member of a test zip.
type zfile struct {
	name      string
	body      []byte
	store     bool   // method Store instead of Deflate
	encrypted bool   // sets the encryption flag (the data stays plain)
	extra     []byte // raw extra field
}

func makeZip(t testing.TB, files ...zfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Extra: f.extra}
		if f.store {
			h.Method = zip.Store
		}
		if f.encrypted {
			h.Flags |= flagEncrypted
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nest wraps a file in n levels of zips, each holding the previous one.
func nest(t testing.TB, inner zfile, n int) []byte {
	t.Helper()
	b := makeZip(t, inner)
	for i := 1; i < n; i++ {
		b = makeZip(t, zfile{name: fmt.Sprintf("level%d.zip", i), body: b})
	}
	return b
}

// testEICAR is the test file, built from pieces (see eicar).
func testEICAR() []byte {
	b, err := base64.StdEncoding.DecodeString("WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=")
	if err != nil {
		panic(err)
	}
	return b
}

// peFile is a minimal Windows executable header.
func peFile() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	return b
}

func elfFile() []byte {
	return append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 120)...)
}

func pngFile(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegFile(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var pdfFile = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

// ooxml builds an Office Open XML package whose main part lives in dir
// ("word", "xl", "ppt").
func ooxml(t testing.TB, dir string) []byte {
	return makeZip(t,
		zfile{name: "[Content_Types].xml", body: []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)},
		zfile{name: "_rels/.rels", body: []byte(`<?xml version="1.0"?><Relationships/>`)},
		zfile{name: "docProps/core.xml", body: []byte(`<?xml version="1.0"?><cp:coreProperties/>`)},
		zfile{name: dir + "/_rels/main.xml.rels", body: []byte(`<?xml version="1.0"?><Relationships/>`)},
		zfile{name: dir + "/main.xml", body: []byte(`<?xml version="1.0"?><document/>`)},
		zfile{name: dir + "/media/image1.png", body: pngFile(t), store: true},
		zfile{name: dir + "/theme/theme1.xml", body: []byte(`<?xml version="1.0"?><a:theme/>`)},
	)
}

// checkMessage parses msg and runs the default policy on it.
func checkMessage(msg []byte) []Finding {
	return DefaultPolicy().Check(mailparse.Parse(msg))
}

func rules(fs []Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Rule)
	}
	return strings.Join(s, ",")
}
