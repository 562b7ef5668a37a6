package tokenizer

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites text before pre-tokenization. Hugging Face tracks
// offsets through normalisation; ids do not depend on them, so plain string
// functions suffice here.
type normalizer func(string) string

// unicodeForm applies a Unicode normalisation form to the valid UTF-8 runs
// of s and keeps invalid bytes as they are, so that arbitrary byte strings
// survive encode/decode.
func unicodeForm(f norm.Form) normalizer {
	return func(s string) string {
		if isASCII(s) {
			return s
		}
		if utf8.ValidString(s) {
			return f.String(s)
		}
		var b strings.Builder
		for len(s) > 0 {
			i := 0
			for i < len(s) {
				r, w := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && w == 1 {
					break
				}
				i += w
			}
			b.WriteString(f.String(s[:i]))
			if i < len(s) {
				b.WriteByte(s[i])
				i++
			}
			s = s[i:]
		}
		return b.String()
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func chainNormalizers(ns []normalizer) normalizer {
	return func(s string) string {
		for _, n := range ns {
			s = n(s)
		}
		return s
	}
}
