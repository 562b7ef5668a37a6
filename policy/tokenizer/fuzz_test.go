package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
)

var fuzzSeeds = []string{
	"", " ", "\t\n", "hello world", "I've been 'told he's there, 'RE you sure?",
	"def f(x):\n    return x**2  # 12345\r\n\n", "   \n\n  x", "a1234567b", "\xff\xfe abc \xc3",
	"ied 4 ½ months", "Führer", "🚀 (normal) 😶‍🌫️", "<|im_start|>user\nhi<|im_end|>", "  <|endoftext|>  ",
	"'s'S'll'LL're'Ve", "\u00a0\u2028x\u3000y\r\r\n", "...hello!!!\n\n", "٣٤٥ Ⅻ ²",
}

// FuzzScanPattern checks the hand-written Qwen2/Llama-3 splitter against
// the regexp2 engine running the patterns themselves.
func FuzzScanPattern(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	qwen := regexp2.MustCompile(qwen2Pattern, regexp2.None)
	llama := regexp2.MustCompile(llama3Pattern, regexp2.None)
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			re     *regexp2.Regexp
			digits int
		}{{qwen, 1}, {llama, 3}} {
			var want, got [][2]int
			regexMatches(c.re, s, func(a, b int) { want = append(want, [2]int{a, b}) })
			scanPattern(s, c.digits, func(a, b int) { got = append(got, [2]int{a, b}) })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("digits=%d %q: spans (-regexp2 +scan):\n%s", c.digits, s, diff)
			}
		}
	})
}

// FuzzQwen2RoundTrip checks Decode(Encode(s)) == s for any byte string.
// Qwen2 normalises to NFC, so the expectation is s with its text between
// special tokens in NFC (the identity for NFC input).
func FuzzQwen2RoundTrip(f *testing.F) {
	tok := qwen2(f)
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := ""
		for _, sg := range tok.rawAdded.split(s, nil) {
			if sg.id >= 0 {
				want += sg.text
			} else {
				want += tok.normalize(sg.text)
			}
		}
		if back := tok.Decode(tok.Encode(s, false), false); back != want {
			t.Fatalf("decode(encode(%q)) = %q, want %q", s, back, want)
		}
		if norm.NFC.IsNormalString(s) && utf8.ValidString(s) && want != s {
			t.Fatalf("NFC input %q changed to %q", s, want)
		}
	})
}

// FuzzParse checks that malformed tokenizer.json input gives errors, not panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(tinyTokenizerJSON(f)), []byte(`{"eos_token": "<|im_end|>"}`))
	f.Add([]byte(`{"model": {"vocab": {"a": 0}, "merges": ["a a"]}}`), []byte(nil))
	f.Add([]byte(`{"model": {"vocab": {"a": 0, "aa": 1}, "merges": [["a", "a"]]}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "("}}}`), []byte(nil))
	f.Fuzz(func(t *testing.T, tj, cfg []byte) {
		tok, err := Parse(tj, cfg)
		if err != nil {
			return
		}
		ids := tok.Encode("hello <|im_end|> wörld", true)
		_ = tok.Decode(ids, true)
	})
}

// FuzzLlama3StyleRoundTrip: the Llama-3 layout has no normaliser, so
// Decode(Encode(s)) == s must hold exactly for every byte string, with and
// without the BOS post-processor and special tokens skipped.
func FuzzLlama3StyleRoundTrip(f *testing.F) {
	tok := mustParse(f, llama3StyleJSON(f, true, nil))
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if back := tok.Decode(tok.Encode(s, false), false); back != s {
			t.Fatalf("decode(encode(%q)) = %q", s, back)
		}
		if !strings.Contains(s, "<|") {
			if back := tok.Decode(tok.Encode(s, true), true); back != s {
				t.Fatalf("with BOS, skipping specials: decode(encode(%q)) = %q", s, back)
			}
		}
	})
}
