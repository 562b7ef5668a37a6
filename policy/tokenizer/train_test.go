package tokenizer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var trainCorpus = []string{
	"def add(a, b):\n    return a + b\n",
	"def sub(a, b):\n    return a - b\n",
	"the quick brown fox jumps over the lazy dog. the end.",
	"<|im_start|>user\nwrite the function<|im_end|>\n<|im_start|>assistant\n",
	"for i in range(10):\n    print(i)\n",
}

// tinyTokenizerJSON trains a small tokenizer and returns its tokenizer.json.
func tinyTokenizerJSON(tb testing.TB) string {
	tb.Helper()
	tok, err := TrainByteLevel(context.Background(), trainCorpus, TrainOptions{Merges: 40})
	if err != nil {
		tb.Fatal(err)
	}
	return string(tok.fileJSON)
}

func TestTrainByteLevel(t *testing.T) {
	tok, err := TrainByteLevel(context.Background(), trainCorpus, TrainOptions{Merges: 40, ChatTemplate: "{{ x }}"})
	if err != nil {
		t.Fatal(err)
	}
	nMerges := len(tok.model.merges)
	if nMerges == 0 || nMerges > 40 {
		t.Fatalf("learned %d merges, want 1..40", nMerges)
	}
	if got, want := tok.VocabSize(), 256+nMerges+3; got != want {
		t.Errorf("VocabSize = %d, want %d", got, want)
	}
	if id := tok.MustIDForTest(t, IMStart); id != 256+nMerges+1 {
		t.Errorf("<|im_start|> id = %d, want %d", id, 256+nMerges+1)
	}
	// "return" occurs twice as " return"; merges must shorten it below its byte count.
	if ids := tok.Encode(" return", false); len(ids) >= len(" return") {
		t.Errorf("\" return\" not compressed by merges: %v", ids)
	}
	for _, s := range append(trainCorpus, "unseen ✓ text\x00\xff", "") {
		if got := tok.Decode(tok.Encode(s, true), false); got != s {
			t.Errorf("round trip %q = %q", s, got)
		}
	}
	if eos, ok := tok.EOS(); !ok || eos != tok.MustIDForTest(t, IMEnd) {
		t.Errorf("EOS = %d, %v", eos, ok)
	}
	if !bytes.Contains(tok.ConfigJSON(), []byte(`"chat_template": "{{ x }}"`)) {
		t.Errorf("chat template missing from config:\n%s", tok.ConfigJSON())
	}
}

func TestTrainDeterministic(t *testing.T) {
	a, err := TrainByteLevel(context.Background(), trainCorpus, TrainOptions{Merges: 30})
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainByteLevel(context.Background(), trainCorpus, TrainOptions{Merges: 30})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.fileJSON, b.fileJSON) {
		t.Errorf("two trainings on the same corpus differ")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainByteLevel(ctx, trainCorpus, TrainOptions{Merges: 5}); err == nil {
		t.Errorf("cancelled context: want an error")
	}
}

func TestNewByteLevel(t *testing.T) {
	tok, err := NewByteLevel()
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode("hi<|im_end|>", false)
	if diff := cmp.Diff([]int{'h', 'i', 258}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestSaveLoad(t *testing.T) {
	tok, err := TrainByteLevel(context.Background(), trainCorpus, TrainOptions{Merges: 20})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := tok.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(trainCorpus, "")
	if diff := cmp.Diff(tok.Encode(text, true), back.Encode(text, true)); diff != "" {
		t.Errorf("ids after save/load (-before +after):\n%s", diff)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil || !bytes.Equal(cfg, tok.ConfigJSON()) {
		t.Errorf("tokenizer_config.json not saved verbatim (err %v)", err)
	}
	if back.Specials() != tok.Specials() {
		t.Errorf("specials %+v, want %+v", back.Specials(), tok.Specials())
	}
}

// TestConcurrentEncode checks that goroutines sharing one Tokenizer (and its
// word cache) agree with a sequential run; run with -race to check locking.
func TestConcurrentEncode(t *testing.T) {
	tok, err := LoadDir(tiny512Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]int, len(trainCorpus))
	for i, s := range trainCorpus {
		want[i] = tok.Encode(s, false)
	}
	tok.model.resetCache()
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for k := range 50 {
				i := (g + k) % len(trainCorpus)
				if got := tok.Encode(trainCorpus[i], false); !cmp.Equal(want[i], got) {
					errs <- fmt.Errorf("goroutine %d: text %d encodes to %v, want %v", g, i, got, want[i])
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
