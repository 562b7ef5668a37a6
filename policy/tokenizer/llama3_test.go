package tokenizer

import (
	"acecoder/internal/shareddata"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// llama3Specials are the added tokens of the synthetic Llama-3-style file.
var llama3Specials = []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}

// llama3StyleJSON builds a tokenizer.json laid out like Llama-3's: no
// normaliser, Split(Llama-3 pattern) + ByteLevel(use_regex=false), merges as
// "a b" strings, ignore_merges, and a Sequence post-processor whose
// TemplateProcessing prepends <|begin_of_text|>. The vocabulary is trained
// on a small corpus, plus hand-written digit merges ("123", "456") and a
// token reachable only without merges ("Ġzz"). extra edits the file map.
func llama3StyleJSON(tb testing.TB, ignoreMerges bool, extra func(f map[string]any)) []byte {
	tb.Helper()
	base, err := TrainByteLevel(context.Background(), trainCorpus, TrainOptions{Merges: 30, SpecialTokens: []string{}})
	if err != nil {
		tb.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(base.fileJSON, &f); err != nil {
		tb.Fatal(err)
	}
	model := f["model"].(map[string]any)
	vocab := model["vocab"].(map[string]any)
	var merges []any
	for _, m := range model["merges"].([]any) {
		pair := m.([]any)
		merges = append(merges, pair[0].(string)+" "+pair[1].(string))
	}
	addToken := func(tok string) int {
		id := len(vocab)
		vocab[tok] = id
		return id
	}
	for _, m := range [][2]string{{"1", "2"}, {"12", "3"}, {"4", "5"}, {"45", "6"}} {
		addToken(m[0] + m[1])
		merges = append(merges, m[0]+" "+m[1])
	}
	addToken("Ġzz")
	model["merges"] = merges
	model["ignore_merges"] = ignoreMerges
	var added []any
	for _, s := range llama3Specials {
		added = append(added, map[string]any{"id": len(vocab) + len(added), "content": s, "single_word": false,
			"lstrip": false, "rstrip": false, "normalized": false, "special": true})
	}
	bos := len(vocab)
	f["added_tokens"] = added
	f["normalizer"] = nil
	byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
	f["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "pattern": map[string]any{"Regex": llama3Pattern}, "behavior": "Isolated", "invert": false},
		byteLevel}}
	f["post_processor"] = map[string]any{"type": "Sequence", "processors": []any{byteLevel, map[string]any{
		"type":   "TemplateProcessing",
		"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "<|begin_of_text|>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
		"pair": []any{map[string]any{"SpecialToken": map[string]any{"id": "<|begin_of_text|>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
			map[string]any{"SpecialToken": map[string]any{"id": "<|begin_of_text|>", "type_id": 1}}, map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}},
		"special_tokens": map[string]any{"<|begin_of_text|>": map[string]any{"id": "<|begin_of_text|>", "ids": []any{bos}, "tokens": []any{"<|begin_of_text|>"}}},
	}}}
	if extra != nil {
		extra(f)
	}
	data, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func mustParse(tb testing.TB, data []byte) *Tokenizer {
	tb.Helper()
	tok, err := Parse(data, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func TestLlama3Style(t *testing.T) {
	tok := mustParse(t, llama3StyleJSON(t, true, nil))
	bos := tok.MustIDForTest(t, "<|begin_of_text|>")
	if got, ok := tok.BOS(); !ok || got != bos {
		t.Errorf("BOS() = %d, %v; want %d from the post-processor", got, ok, bos)
	}
	tests := []struct {
		name       string
		text       string
		addSpecial bool
		want       []string // token strings
	}{
		{name: "bos prepended", text: "hi", addSpecial: true, want: []string{"<|begin_of_text|>", "h", "i"}},
		{name: "no bos", text: "hi", want: []string{"h", "i"}},
		{name: "digits grouped by three", text: "1234567", want: []string{"123", "456", "7"}},
		{name: "digit group boundary", text: "4561", want: []string{"456", "1"}},
		{name: "ignore_merges takes whole word", text: " zz", want: []string{"Ġzz"}},
		{name: "special tokens in text", text: "<|start_header_id|>x<|end_header_id|>\n\n", addSpecial: true,
			want: []string{"<|begin_of_text|>", "<|start_header_id|>", "x", "<|end_header_id|>", "Ċ", "Ċ"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, id := range tok.Encode(tc.text, tc.addSpecial) {
				s, _ := tok.Token(id)
				got = append(got, s)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLlama3StyleWithoutIgnoreMerges(t *testing.T) {
	tok := mustParse(t, llama3StyleJSON(t, false, nil))
	got := tok.Encode(" zz", false)
	if want := []int{tok.MustIDForTest(t, "Ġ"), tok.MustIDForTest(t, "z"), tok.MustIDForTest(t, "z")}; !cmp.Equal(want, got) {
		t.Errorf("without ignore_merges \" zz\" = %v, want bytes %v", got, want)
	}
}

// TestLlama3VectorsRoundTrip runs the Llama-3 reference strings through the
// synthetic Llama-3-style tokenizer: without a normaliser every string must
// come back exactly, BOS included and skipped.
func TestLlama3VectorsRoundTrip(t *testing.T) {
	tok := mustParse(t, llama3StyleJSON(t, true, nil))
	cases := readVectors(t, filepath.Join(shareddata.Dir(t), "tokenizers", "vectors", "llama3"))
	for i, c := range cases {
		ids := tok.Encode(c.text, true)
		if got := tok.Decode(ids, true); got != c.text {
			t.Errorf("vector %d: round trip %q, want %q", i, got, c.text)
		}
		if got := tok.Decode(ids, false); got != "<|begin_of_text|>"+c.text {
			t.Errorf("vector %d: with specials %q", i, got)
		}
	}
}

func TestAddedTokenFlags(t *testing.T) {
	tests := []struct {
		name  string
		token map[string]any
		text  string
		want  []string
	}{
		{name: "plain", token: map[string]any{}, text: "a <x> b", want: []string{"a", "Ġ", "<x>", "Ġb"}},
		{name: "lstrip", token: map[string]any{"lstrip": true}, text: "a  <x> b", want: []string{"a", "<x>", "Ġb"}},
		{name: "rstrip", token: map[string]any{"rstrip": true}, text: "a <x>  b", want: []string{"a", "Ġ", "<x>", "b"}},
		{name: "single word rejects", token: map[string]any{"single_word": true}, text: "a<x>b", want: []string{"a", "<", "x", ">", "b"}},
		{name: "single word accepts", token: map[string]any{"single_word": true}, text: "a <x> b", want: []string{"a", "Ġ", "<x>", "Ġb"}},
		{name: "longest match wins", token: map[string]any{}, text: "<x><xy>", want: []string{"<x>", "<xy>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := llama3StyleJSON(t, true, func(f map[string]any) {
				vocab := f["model"].(map[string]any)["vocab"].(map[string]any)
				n := len(vocab) + len(llama3Specials)
				tok := map[string]any{"id": n, "content": "<x>", "special": true}
				for k, v := range tc.token {
					tok[k] = v
				}
				longer := map[string]any{"id": n + 1, "content": "<xy>", "special": false}
				f["added_tokens"] = append(f["added_tokens"].([]any), tok, longer)
			})
			tok := mustParse(t, data)
			var got []string
			for _, id := range tok.Encode(tc.text, false) {
				s, _ := tok.Token(id)
				got = append(got, s)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitBehaviors(t *testing.T) {
	tests := []struct {
		behavior splitBehavior
		want     []string
	}{
		{behaviorIsolated, []string{"the", "-", "final", "-", "-", "countdown"}},
		{behaviorRemoved, []string{"the", "final", "countdown"}},
		{behaviorMergedWithPrevious, []string{"the-", "final-", "-", "countdown"}},
		{behaviorMergedWithNext, []string{"the", "-final", "-", "-countdown"}},
		{behaviorContiguous, []string{"the", "-", "final", "--", "countdown"}},
	}
	for _, tc := range tests {
		st := &splitStep{literal: "-", behavior: tc.behavior}
		if got := st.apply([]string{"the-final--countdown"}); !cmp.Equal(tc.want, got) {
			t.Errorf("behavior %d: got %q, want %q", tc.behavior, got, tc.want)
		}
	}
	inv := &splitStep{literal: "-", behavior: behaviorRemoved, invert: true}
	if got := inv.apply([]string{"a-b"}); !cmp.Equal([]string{"-"}, got) {
		t.Errorf("inverted removal: got %q", got)
	}
	if got := strings.Join((&splitStep{literal: "-", behavior: behaviorIsolated}).apply([]string{"x"}), "|"); got != "x" {
		t.Errorf("no match: got %q", got)
	}
}

// TestLlama3Vectors runs the 44 Llama-3 reference vectors when a Llama-3
// tokenizer.json is named by ACECODER_LLAMA3_TOKENIZER (none ships with the
// project).
func TestLlama3Vectors(t *testing.T) {
	path := os.Getenv("ACECODER_LLAMA3_TOKENIZER")
	if path == "" {
		t.Skip("set ACECODER_LLAMA3_TOKENIZER to a Llama-3 tokenizer.json to run the Llama-3 reference vectors")
	}
	tok, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := readVectors(t, filepath.Join(shareddata.Dir(t), "tokenizers", "vectors", "llama3"))
	for i, c := range cases {
		got := tok.Encode(c.text, false)
		if len(got) != len(c.ids) || (len(got) > 0 && !cmp.Equal(c.ids, got)) {
			t.Errorf("vector %d %q: got %v, want %v", i, c.text, got, c.ids)
		}
		if back := tok.Decode(got, false); back != c.text {
			t.Errorf("vector %d: round trip %q", i, back)
		}
	}
}
