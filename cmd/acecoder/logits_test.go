package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/backend"
	"acecoder/internal/cli"
	"acecoder/policy"
)

func TestLogitsCommand(t *testing.T) {
	cfg, err := policy.LoadConfig(filepath.Join("..", "..", "testdata", "models", "tiny-llama", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := policy.New(backend.MustOpenGo(), cfg, policy.InitOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(context.Background(), dir, policy.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	seqs := [][]int32{{1, 5, 9, 200}, {3}}
	want, err := m.SequenceLogits(seqs)
	if err != nil {
		t.Fatal(err)
	}
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetIn(strings.NewReader("{\"input_ids\":[1,5,9,200]}\n\n{\"input_ids\":[3]}\n"))
	root.SetOut(&out)
	root.SetErr(&errb)
	if code := cli.Run(context.Background(), root, []string{"logits", "--model-path", dir}, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 output lines, got %d", len(lines))
	}
	for i, line := range lines {
		var got struct{ Logits [][]float32 }
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Logits) != len(seqs[i]) || len(got.Logits[0]) != cfg.VocabSize {
			t.Fatalf("line %d: %d×%d logits", i, len(got.Logits), len(got.Logits[0]))
		}
		for p := range got.Logits {
			for v := range got.Logits[p] {
				// Rows run alone and in a padded batch can take matmul
				// paths that round differently in the last bit.
				if d := math.Abs(float64(got.Logits[p][v] - want[i][p][v])); d > 1e-5*math.Max(1, math.Abs(float64(want[i][p][v]))) {
					t.Fatalf("line %d pos %d id %d: %v, want %v", i, p, v, got.Logits[p][v], want[i][p][v])
				}
			}
		}
	}
}

func TestLogitsCommandRejectsBadIDs(t *testing.T) {
	cfg, _ := policy.LoadConfig(filepath.Join("..", "..", "testdata", "models", "tiny-llama", "config.json"))
	m, _ := policy.New(backend.MustOpenGo(), cfg, policy.InitOptions{Seed: 1})
	dir := t.TempDir()
	if err := m.Save(context.Background(), dir, policy.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetIn(strings.NewReader(`{"input_ids":[1,100000]}`))
	root.SetOut(&out)
	if code := cli.Run(context.Background(), root, []string{"logits", "--model-path", dir}, &errb); code == 0 ||
		!strings.Contains(errb.String(), "input_ids[1] = 100000") {
		t.Errorf("exit %d, stderr %q: want an error naming the bad id", code, errb.String())
	}
}
