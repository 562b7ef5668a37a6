package policy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"acecoder/backend"
	"acecoder/policy/safetensors"
)

func TestSaveLoadBitIdentical(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model string
		opts  SaveOptions
		round func(float32) float32 // what the dtype does to a value
	}{
		{"f32 single file", "tiny-qwen2", SaveOptions{DType: safetensors.F32}, func(x float32) float32 { return x }},
		{"f32 sharded", "tiny-qwen2", SaveOptions{DType: safetensors.F32, MaxShardBytes: 200 << 10}, func(x float32) float32 { return x }},
		{"bf16 sharded", "tiny-qwen2", SaveOptions{DType: safetensors.BF16, MaxShardBytes: 100 << 10}, bf16Round},
		{"bf16 llama untied", "tiny-llama", SaveOptions{DType: safetensors.BF16}, bf16Round},
		{"f16 llama", "tiny-llama", SaveOptions{DType: safetensors.F16}, f16Round},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m := tinyModel(t, tc.model, 7)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "src-tokenizer.json"), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := m.Save(ctx, dir, tc.opts); err != nil {
				t.Fatal(err)
			}
			if tc.opts.MaxShardBytes > 0 {
				if _, err := os.Stat(filepath.Join(dir, safetensors.IndexFile)); err != nil {
					t.Fatalf("want a sharded checkpoint: %v", err)
				}
			}
			back, err := Load(ctx, backend.MustOpenGo(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range m.Config.Params() {
				a, _, _ := m.Weight(p.Name)
				b, shape, err := back.Weight(p.Name)
				if err != nil || !slices.Equal(shape, p.Shape) {
					t.Fatalf("%s: shape %v, err %v", p.Name, shape, err)
				}
				for i := range a {
					if want := tc.round(a[i]); b[i] != want {
						t.Fatalf("%s[%d] = %v, want %v", p.Name, i, b[i], want)
					}
				}
			}
			// Saving the loaded model again reproduces the files byte for byte.
			dir2 := t.TempDir()
			if err := back.Save(ctx, dir2, tc.opts); err != nil {
				t.Fatal(err)
			}
			sameFiles(t, dir, dir2)
		})
	}
}

func f16Round(x float32) float32 {
	raw, _ := safetensors.EncodeFloat32(nil, []float32{x}, safetensors.F16)
	v, _ := safetensors.DecodeFloat32(nil, raw, safetensors.F16)
	return v[0]
}

func bf16Round(x float32) float32 { return safetensors.Float32FromBF16(safetensors.BF16FromFloat32(x)) }

// sameFiles compares every file of a (except test inputs) with b's.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	entries, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "src-") {
			continue
		}
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs after load and save again (err %v)", e.Name(), err)
		}
	}
}

func TestSaveKeepsConfigAndTokenizer(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(repoRoot(t), "testdata", "models", "tiny-llama")
	m := tinyModel(t, "tiny-llama", 1)
	m.SourceDir = t.TempDir()
	if err := os.WriteFile(filepath.Join(m.SourceDir, "tokenizer.json"), []byte(`{"model":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(ctx, dir, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer.json")); err != nil || string(b) != `{"model":{}}` {
		t.Errorf("tokenizer.json not copied: %q %v", b, err)
	}
	orig, _ := LoadConfig(filepath.Join(src, "config.json"))
	saved, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pretraining_tp", "mlp_bias", "attention_dropout", "use_cache"} {
		if string(saved.Extra[key]) != string(orig.Extra[key]) || saved.Extra[key] == nil {
			t.Errorf("unknown key %s: saved %s, original %s", key, saved.Extra[key], orig.Extra[key])
		}
	}
	if saved.RopeScaling.Kind() != "llama3" || saved.RopeScaling.Factor != 8 || !slices.Equal(saved.EOSTokenID, IDList{2, 3}) {
		t.Errorf("known fields changed: %+v eos %v", saved.RopeScaling, saved.EOSTokenID)
	}
}

// TestLoadErrorListsEverything writes a checkpoint with two tensors
// missing, one extra and one of the wrong shape, and expects all four in
// the error.
func TestLoadErrorListsEverything(t *testing.T) {
	ctx := context.Background()
	m := tinyModel(t, "tiny-qwen2", 3)
	dir := t.TempDir()
	if err := m.Save(ctx, dir, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	drop := map[string]bool{"model.layers.0.mlp.up_proj.weight": true, "model.layers.3.self_attn.k_proj.bias": true}
	var ts []safetensors.Tensor
	for _, p := range m.Config.Params() {
		vals, shape, _ := m.Weight(p.Name)
		if drop[p.Name] {
			continue
		}
		if p.Name == "model.norm.weight" {
			vals, shape = vals[:64], []int{64}
		}
		raw, _ := safetensors.EncodeFloat32(nil, vals, safetensors.F32)
		ts = append(ts, safetensors.Tensor{Name: p.Name, DType: safetensors.F32, Shape: shape, Data: raw})
	}
	raw, _ := safetensors.EncodeFloat32(nil, []float32{1, 2}, safetensors.F32)
	ts = append(ts, safetensors.Tensor{Name: "model.layers.9.extra.weight", DType: safetensors.F32, Shape: []int{2}, Data: raw})
	if err := safetensors.Write(filepath.Join(dir, safetensors.SingleFile), ts, nil); err != nil {
		t.Fatal(err)
	}
	_, err := Load(ctx, backend.MustOpenGo(), dir, Options{})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want *LoadError, got %v", err)
	}
	for _, name := range []string{"model.layers.0.mlp.up_proj.weight", "model.layers.3.self_attn.k_proj.bias",
		"model.layers.9.extra.weight", "model.norm.weight: file [64], model [128]"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %q:\n%v", name, err)
		}
	}
	if len(le.Missing) != 2 || len(le.Unexpected) != 1 || len(le.Misshaped) != 1 {
		t.Errorf("missing %v, unexpected %v, misshaped %v", le.Missing, le.Unexpected, le.Misshaped)
	}
}
