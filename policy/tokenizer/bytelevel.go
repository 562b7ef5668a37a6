package tokenizer

import "unicode/utf8"

// byteToRune is GPT-2's reversible byte-to-unicode table used by every
// byte-level BPE vocabulary: printable Latin-1 bytes map to themselves and
// the remaining 68 bytes map, in order, to U+0100, U+0101, ... so that no
// vocabulary string contains whitespace or control characters.
var byteToRune, runeToByte = buildByteLevelTables()

func buildByteLevelTables() ([256]rune, map[rune]byte) {
	var fwd [256]rune
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := range 256 {
		if printable(b) {
			fwd[b] = rune(b)
		} else {
			fwd[b] = rune(256 + n)
			n++
		}
	}
	back := make(map[rune]byte, 256)
	for b, r := range fwd {
		back[r] = byte(b)
	}
	return fwd, back
}

// byteLevelString maps raw bytes to their byte-level vocabulary spelling.
func byteLevelString(s string) string {
	buf := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		buf = utf8.AppendRune(buf, byteToRune[s[i]])
	}
	return string(buf)
}

// byteLevelBytes inverts byteLevelString. ok is false when tok contains a
// character outside the table (an added token such as "<tool call>"), in
// which case the caller uses tok's own bytes, as Hugging Face's ByteLevel
// decoder does.
func byteLevelBytes(tok string) (out []byte, ok bool) {
	out = make([]byte, 0, len(tok))
	for _, r := range tok {
		b, found := runeToByte[r]
		if !found {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}
