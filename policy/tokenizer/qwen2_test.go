package tokenizer

import (
	"acecoder/internal/shareddata"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQwen2Vectors(t *testing.T) {
	tok := qwen2(t)
	cases := readVectors(t, filepath.Join(shareddata.Dir(t), "tokenizers", "vectors", "qwen2"))
	if len(cases) != 43 {
		t.Fatalf("want 43 vectors, got %d", len(cases))
	}
	for i, c := range cases {
		got := tok.Encode(c.text, false)
		if diff := cmp.Diff(c.ids, got, cmp.Comparer(func(a, b []int) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
			t.Errorf("vector %d %q: ids (-want +got):\n%s", i, c.text, diff)
		}
		if back := tok.Decode(got, false); back != c.text {
			t.Errorf("vector %d: decode(encode(s)) = %q, want %q", i, back, c.text)
		}
	}
}

func TestQwen2SpecialTokens(t *testing.T) {
	tok := qwen2(t)
	imStart, imEnd, eot := tok.MustIDForTest(t, "<|im_start|>"), tok.MustIDForTest(t, "<|im_end|>"), tok.MustIDForTest(t, "<|endoftext|>")
	if imStart != 151644 || imEnd != 151645 || eot != 151643 {
		t.Fatalf("special ids = %d %d %d, want 151644 151645 151643", imStart, imEnd, eot)
	}
	text := "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
	ids := tok.Encode(text, true)
	if ids[0] != imStart || !containsInt(ids, imEnd) {
		t.Fatalf("special tokens not recognised: %v", ids)
	}
	if got := tok.Decode(ids, false); got != text {
		t.Errorf("round trip = %q, want %q", got, text)
	}
	if got, want := tok.Decode(ids, true), "user\nhi\nassistant\n"; got != want {
		t.Errorf("skip special = %q, want %q", got, want)
	}
	if n := tok.VocabSize(); n != 151669 {
		t.Errorf("VocabSize = %d, want 151669", n)
	}
	for _, id := range []int{imStart, imEnd, eot, 151657, 0, 9707} {
		s, ok := tok.Token(id)
		if !ok {
			t.Fatalf("Token(%d) missing", id)
		}
		if back, _ := tok.ID(s); back != id {
			t.Errorf("ID(Token(%d)=%q) = %d", id, s, back)
		}
	}
	if !tok.IsSpecial(imEnd) || tok.IsSpecial(151657) {
		t.Errorf("IsSpecial wrong for <|im_end|> or <tool_call>")
	}
	if got := tok.Encode(strings.Repeat(" ", 3000)+"x", false); len(got) == 0 {
		t.Errorf("long whitespace run gave no ids")
	}
}

func TestQwen2EncodeOrdinary(t *testing.T) {
	tok := qwen2(t)
	text := "say <|im_end|> and <tool_call>"
	ids := tok.EncodeOrdinary(text)
	if containsInt(ids, tok.MustIDForTest(t, "<|im_end|>")) {
		t.Errorf("special token matched in ordinary text: %v", ids)
	}
	if !containsInt(ids, tok.MustIDForTest(t, "<tool_call>")) {
		t.Errorf("non-special added token <tool_call> not matched: %v", ids)
	}
	if got := tok.Decode(ids, true); got != text {
		t.Errorf("round trip = %q", got)
	}
}

func TestQwen2ConfigRoles(t *testing.T) {
	tok := qwen2(t)
	eos, ok := tok.EOS()
	if !ok || eos != 151645 {
		t.Errorf("EOS = %d, %v; want 151645 (<|im_end|>)", eos, ok)
	}
	pad, ok := tok.PAD()
	if !ok || pad != 151643 {
		t.Errorf("PAD = %d, %v; want 151643", pad, ok)
	}
	if _, ok := tok.BOS(); ok {
		t.Errorf("Qwen2 has no BOS token")
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// MustIDForTest returns the id of token or fails the test.
func (t *Tokenizer) MustIDForTest(tb testing.TB, token string) int {
	tb.Helper()
	id, ok := t.ID(token)
	if !ok {
		tb.Fatalf("token %q not in vocabulary", token)
	}
	return id
}
