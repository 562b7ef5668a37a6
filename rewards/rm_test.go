package rewards

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/backend"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/safetensors"
	"acecoder/policy/tokenizer"
)

func rmRepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// tinyRM is a random tiny-qwen2 reward model with a byte-level tokenizer,
// every backbone weight perturbed so that rewards differ between texts.
func tinyRM(t testing.TB, seed uint64) *RewardModel {
	t.Helper()
	cfg, err := policy.LoadConfig(filepath.Join(rmRepoRoot(t), "testdata", "models", "tiny-qwen2", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.NewByteLevel()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.ChatML()
	if err != nil {
		t.Fatal(err)
	}
	rm, err := NewRM(backend.MustOpenGo(), cfg, tok, tmpl, seed)
	if err != nil {
		t.Fatal(err)
	}
	// A larger head than OpenRLHF's init makes reward differences visible.
	w, b, _ := rm.HeadParams()
	for i := range w {
		w[i] *= 100
	}
	if err := rm.SetHead(w, b+0.25); err != nil {
		t.Fatal(err)
	}
	return rm
}

var rmTexts = []string{"def f(x):\n    return x + 1\n", "print('hi')", "x = [i*i for i in range(10)]\nprint(sum(x))\n"}

func TestScoreMatchesHiddenStateTimesHead(t *testing.T) {
	rm := tinyRM(t, 1)
	ctx := context.Background()
	got, err := rm.Score(ctx, rmTexts)
	if err != nil {
		t.Fatal(err)
	}
	w, b, _ := rm.HeadParams()
	for i, text := range rmTexts {
		ids, _ := rm.Encode(text)
		h, err := rm.Backbone.LastHidden(policy.LeftPad([][]int32{ids}, 0))
		if err != nil {
			t.Fatal(err)
		}
		hv, _ := tensors.CopyFlatData[float32](h)
		want := float64(b)
		for d := range w {
			want += float64(hv[d]) * float64(w[d])
		}
		if math.Abs(float64(got[i])-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("text %d: reward %g, hidden·w+b = %g", i, got[i], want)
		}
	}
	if got[0] == got[1] {
		t.Errorf("different texts score the same (%g): the test model is degenerate", got[0])
	}
}

func TestScoreIndependentOfBatching(t *testing.T) {
	rm := tinyRM(t, 2)
	ctx := context.Background()
	all, err := rm.Score(ctx, rmTexts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range rmTexts {
		one, err := rm.Score(ctx, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(float64(one[0] - all[i])); d > 1e-4 {
			t.Errorf("text %d: alone %g, batched %g", i, one[0], all[i])
		}
	}
}

func TestSaveLoadScoresIdentically(t *testing.T) {
	rm := tinyRM(t, 3)
	ctx := context.Background()
	dir := t.TempDir()
	if err := rm.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadRM(ctx, backend.MustOpenGo(), dir, RMLoadOptions{Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	a, err := rm.Score(ctx, rmTexts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.Score(ctx, rmTexts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("text %d: saved model scores %g, reloaded %g", i, a[i], b[i])
		}
	}
}

// rewriteDir copies the safetensors of src to a new directory with tensor
// names mapped by rename (dropped when it returns "") plus extra tensors.
func rewriteDir(t *testing.T, src string, rename func(string) string, extra ...safetensors.Tensor) string {
	t.Helper()
	set, err := safetensors.OpenDir(src)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var ts []safetensors.Tensor
	for _, name := range set.Names() {
		info, _ := set.Info(name)
		vals, _ := set.Float32(name)
		if n := rename(name); n != "" {
			ts = append(ts, f32Tensor(n, vals, info.Shape))
		}
	}
	dst := t.TempDir()
	if err := safetensors.WriteDir(dst, append(ts, extra...), 0); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "tokenizer.json", "tokenizer_config.json"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, f), data, 0o644)
	}
	return dst
}

func TestLoadHeadNames(t *testing.T) {
	rm := tinyRM(t, 4)
	ctx := context.Background()
	src := t.TempDir()
	if err := rm.Save(ctx, src); err != nil {
		t.Fatal(err)
	}
	w, b, _ := rm.HeadParams()
	tests := []struct {
		name     string
		rename   func(string) string
		wantBias float32
		wantErr  bool
	}{
		{"summary", func(n string) string {
			return map[string]string{HeadWeightName: "summary.weight", HeadBiasName: "summary.bias"}[n] + keep(n)
		}, b, false},
		{"sequence classification score without bias", func(n string) string {
			if n == HeadBiasName {
				return ""
			}
			return map[string]string{HeadWeightName: "score.weight"}[n] + keep(n)
		}, 0, false},
		{"unexpected tensor", func(n string) string {
			return map[string]string{HeadBiasName: "mystery.bias"}[n] + keep(n)
		}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := rewriteDir(t, src, tc.rename)
			got, err := LoadRM(ctx, backend.MustOpenGo(), dir, RMLoadOptions{})
			var le *policy.LoadError
			if tc.wantErr {
				if !errors.As(err, &le) || len(le.Unexpected) != 1 {
					t.Fatalf("err = %v, want a LoadError naming one unexpected tensor", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gw, gb, _ := got.HeadParams()
			if gb != tc.wantBias || gw[0] != w[0] || gw[len(gw)-1] != w[len(w)-1] {
				t.Errorf("head = (%g..%g, %g), want (%g..%g, %g)", gw[0], gw[len(gw)-1], gb, w[0], w[len(w)-1], tc.wantBias)
			}
		})
	}
}

// keep maps names other than the head's to themselves.
func keep(n string) string {
	if n == HeadWeightName || n == HeadBiasName {
		return ""
	}
	return n
}

func TestBestOfN(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		scores [][]float32
		want   []int
	}{
		{"single", [][]float32{{0.5}}, []int{0}},
		{"max wins", [][]float32{{0.1, 0.9, 0.3}, {2, -1}}, []int{1, 0}},
		{"first on ties", [][]float32{{1, 1, 0}}, []int{0}},
		{"nan never wins", [][]float32{{nan, -5, nan}}, []int{1}},
		{"empty and all nan", [][]float32{{}, {nan}}, []int{-1, -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := BestOfN(tc.scores)
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Fatalf("BestOfN = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestSelectBestAgreesWithScores(t *testing.T) {
	rm := tinyRM(t, 5)
	ctx := context.Background()
	samples := [][]string{rmTexts, {rmTexts[2], rmTexts[0]}}
	best, scores, err := rm.SelectBest(ctx, []string{"task A", "task B"}, samples)
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		one, err := rm.ScorePairs(ctx, []string{[]string{"task A", "task B"}[i]}, []string{samples[i][best[i]]})
		if err != nil {
			t.Fatal(err)
		}
		for j, s := range scores[i] {
			if s > scores[i][best[i]] {
				t.Errorf("task %d: sample %d scores %g above the chosen %d (%g)", i, j, s, best[i], scores[i][best[i]])
			}
		}
		if math.Abs(float64(one[0]-scores[i][best[i]])) > 1e-4 {
			t.Errorf("task %d: best sample rescored %g, was %g", i, one[0], scores[i][best[i]])
		}
	}
}

func TestBucketLengthAndPadBatch(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{1, 16}, {16, 16}, {17, 32}, {128, 128}, {129, 192}, {1024, 1024}, {1025, 1280}, {2048, 2048}} {
		if got := BucketLength(tc.n); got != tc.want {
			t.Errorf("BucketLength(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	b, err := PadBatch([][]int32{{5, 6, 7}, {9}}, PadMultiple)
	if err != nil {
		t.Fatal(err)
	}
	if b.S != 16 || b.Tokens != 4 || b.IDs[15] != 7 || b.IDs[13] != 5 || b.Positions[13] != 0 || b.Positions[15] != 2 ||
		b.Mask[12] != 0 || b.IDs[31] != 9 || b.Mask[31] != 1 || b.Mask[30] != 0 {
		t.Errorf("PadBatch = %+v", b)
	}
	if _, err := PadBatch([][]int32{{1}, {}}, 0); err == nil {
		t.Error("empty sequence accepted")
	}
}

// TestLoadRMListsEveryProblem: a directory with a missing backbone tensor,
// a mis-shaped head and an LM head of the wrong shape fails with one
// LoadError naming all three; a correct LM head is accepted and not read.
func TestLoadRMListsEveryProblem(t *testing.T) {
	rm := tinyRM(t, 5)
	ctx := context.Background()
	src := t.TempDir()
	if err := rm.Save(ctx, src); err != nil {
		t.Fatal(err)
	}
	c := rm.Backbone.Config
	lmHead := func(rows int) safetensors.Tensor {
		return f32Tensor("lm_head.weight", make([]float32, rows*c.HiddenSize), []int{rows, c.HiddenSize})
	}
	bad := rewriteDir(t, src, func(n string) string {
		switch n {
		case "model.norm.weight":
			return ""
		case HeadWeightName:
			return ""
		}
		return n
	}, f32Tensor(HeadWeightName, make([]float32, 2*c.HiddenSize), []int{2, c.HiddenSize}), lmHead(c.VocabSize+1))
	_, err := LoadRM(ctx, backend.MustOpenGo(), bad, RMLoadOptions{})
	var le *policy.LoadError
	if !errors.As(err, &le) || len(le.Missing) != 1 || len(le.Misshaped) != 1 || len(le.Unexpected) != 1 {
		t.Fatalf("err = %v, want one missing, one mis-shaped and one unexpected tensor", err)
	}
	good := rewriteDir(t, src, func(n string) string { return n }, lmHead(c.VocabSize))
	back, err := LoadRM(ctx, backend.MustOpenGo(), good, RMLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Backbone.Store.GetVariable(policy.VariablePath(back.Backbone.Decoder.Scope, "lm_head.weight")) != nil {
		t.Error("the LM head was loaded; a reward model never reads it")
	}
}
