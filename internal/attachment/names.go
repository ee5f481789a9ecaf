package attachment

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultBanned lists extensions that run code when opened on Windows (or
// mount a disk image that does). It is the union of Outlook's level-1 list,
// Gmail's blocked types and rspamd's bad extensions, less the types people
// exchange in good faith and that do not run on a double click:
//
//   - certificates (cer, crt, der): installing one takes several
//     confirmations, and administrators mail them;
//   - data and source files (mdb, pst, tmp, asp, aspx, pl, py and its
//     variants, csh, ksh, lib): Outlook blocks them, but developers mail them
//     and Gmail does not block them.
//
// cab stays: both Outlook and Gmail block it, so honest senders have long
// stopped mailing it, and it carries installable code.
var defaultBanned = strings.Fields(`
	ade adp app appcontent-ms application appref-ms appx appxbundle apk bas bat bgi cab chm cmd
	com cpl diagcab diagcfg diagpack dll dmg drv ex_ exe fxp gadget grp hlp hpj hta htc img inf
	ins iso isp its jar jnlp js jse lnk mad maf mag mam maq mar mas mat mau mav maw mcf mda
	mde mdt mdw mdz msc msh msh1 msh2 mshxml msh1xml msh2xml msi msix msixbundle msp mst msu
	nsh ocx ops osd pcd pif plg prf prg printerexport ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psdm1
	reg scf scr sct searchconnector-ms settingcontent-ms library-ms shb shs sys theme udl url vb
	vbe vbp vbs vhd vhdx vsmacros vsw vxd webpnp website ws wsb wsc wsf wsh xbap xll xnk`)

// documentExts are extensions a person expects to be harmless; an executable
// extension right behind one is the classic "invoice.pdf.exe" disguise.
var documentExts = setOf(`
	pdf doc docx docm dot dotx xls xlsx xlsm ppt pptx pptm odt ods odp rtf txt csv log
	jpg jpeg png gif bmp tif tiff webp heic svg ico mp3 mp4 m4a wav avi mov mkv wmv
	zip rar 7z gz tgz html htm xml eml msg ics vcf`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// padding is what pushes a real extension out of view in a file list:
// runs of spaces (ASCII and Unicode), tabs, dots and underscores.
func isPadding(r rune) bool {
	return r == '.' || r == '_' || r == '\t' || unicode.IsSpace(r)
}

// nameInfo is what the checks need to know about one file name.
type nameInfo struct {
	clean   string // base name with invisible characters removed
	ext     string // final extension, lower case, as Windows sees it
	prevExt string // a document extension right before ext, or ""
	padded  bool   // padding between prevExt (or the stem) and ext
	tricks  []rune // invisible or reordering characters found
}

// inspectName reads a file name the way Windows Explorer would act on it:
// the last path element, invisible characters ignored, trailing dots and
// spaces dropped (Windows strips them, so "x.exe. " runs as x.exe).
func inspectName(name string) nameInfo {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var info nameInfo
	info.tricks = tricks(name)
	if len(info.tricks) > 0 {
		name = strings.Map(func(r rune) rune {
			if isInvisible(r) || isBidiControl(r) {
				return -1
			}
			return r
		}, name)
	}
	name = strings.TrimRight(name, " .")
	info.clean = name
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return info
	}
	info.ext = strings.ToLower(name[dot+1:])
	stem := name[:dot]
	trimmed := strings.TrimRightFunc(stem, isPadding)
	info.padded = len(stem)-len(trimmed) >= 2
	if dot2 := strings.LastIndexByte(trimmed, '.'); dot2 >= 0 {
		if prev := strings.ToLower(trimmed[dot2+1:]); documentExts[prev] && prev != info.ext {
			info.prevExt = prev
		}
	}
	return info
}

// tricks returns the characters of name that hide or reorder what a person
// sees: bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE shows
// "photo\u202Egpj.exe" as "photoexe.jpg"), zero-width and other invisible
// characters, and control characters. Characters that real names in some
// scripts need are allowed where they belong: ZWNJ/ZWJ between non-ASCII
// characters (Persian, Indic scripts, emoji sequences), LRM/RLM/ALM in
// names written in a right-to-left script.
func tricks(name string) []rune {
	if !utf8.ValidString(name) {
		// A name in an undeclared legacy charset: nothing to judge.
		return nil
	}
	rs := []rune(name)
	rtl := false
	for _, r := range rs {
		if unicode.In(r, unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana, unicode.Nko) {
			rtl = true
			break
		}
	}
	var found []rune
	for i, r := range rs {
		switch {
		case isBidiControl(r), r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		case r == 0x200c || r == 0x200d: // ZWNJ, ZWJ
			if i > 0 && i+1 < len(rs) && rs[i-1] >= 0x80 && rs[i+1] >= 0x80 {
				continue
			}
		case r == 0x200e || r == 0x200f || r == 0x061c: // LRM, RLM, ALM
			if rtl {
				continue
			}
		case isInvisible(r):
		default:
			continue
		}
		if len(found) < 8 {
			found = append(found, r)
		}
	}
	return found
}

// isBidiControl reports the explicit embedding, override and isolate
// controls of Unicode's bidirectional algorithm (UAX #9).
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// isInvisible reports characters that render as nothing.
func isInvisible(r rune) bool {
	switch {
	case r >= 0x200b && r <= 0x200f, r >= 0x2060 && r <= 0x2064, r >= 0x206a && r <= 0x206f:
		return true
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	}
	switch r {
	case 0x00ad, 0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e, 0x3164, 0xfeff, 0xffa0:
		return true
	}
	return false
}

// display returns name safe to print: the characters tricks would report
// are written as <U+XXXX>, so a log line or terminal shows what the name
// really holds.
func display(name string) string {
	if !strings.ContainsFunc(name, func(r rune) bool { return isInvisible(r) || isBidiControl(r) }) {
		return name
	}
	var sb strings.Builder
	for _, r := range name {
		if isInvisible(r) || isBidiControl(r) {
			fmt.Fprintf(&sb, "<U+%04X>", r)
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// describeTricks names the characters found, for Finding.Detail.
func describeTricks(rs []rune) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("U+%04X %s", r, runeName(r)))
	}
	return strings.Join(parts, ", ")
}

func runeName(r rune) string {
	switch r {
	case 0x202a:
		return "left-to-right embedding"
	case 0x202b:
		return "right-to-left embedding"
	case 0x202c:
		return "pop directional formatting"
	case 0x202d:
		return "left-to-right override"
	case 0x202e:
		return "right-to-left override"
	case 0x2066, 0x2067, 0x2068:
		return "directional isolate"
	case 0x2069:
		return "pop directional isolate"
	case 0x200b:
		return "zero-width space"
	case 0x200c:
		return "zero-width non-joiner"
	case 0x200d:
		return "zero-width joiner"
	case 0x200e, 0x200f, 0x061c:
		return "directional mark"
	case 0xfeff:
		return "zero-width no-break space"
	case 0x2060:
		return "word joiner"
	case 0x00ad:
		return "soft hyphen"
	}
	if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
		return "control character"
	}
	return "invisible character"
}
