package rewards

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/gomlx/compute"

	"acecoder/policy"
	"acecoder/policy/safetensors"
	"acecoder/policy/tokenizer"
)

// headNames lists the (weight, bias) names a value head is found under, in
// order of preference: TRL/AceCode-RM, bare TRL summary, OpenRLHF,
// transformers' *ForSequenceClassification (no bias).
var headNames = [][2]string{
	{HeadWeightName, HeadBiasName},
	{"summary.weight", "summary.bias"},
	{"value_head.weight", "value_head.bias"},
	{"score.weight", "score.bias"},
}

// RMLoadOptions configures LoadRM.
type RMLoadOptions struct {
	// Tokenizer overrides the directory's tokenizer.json.
	Tokenizer *tokenizer.Tokenizer
	// ChatTemplate: "" uses the directory's tokenizer_config.json template
	// (ChatML when it has none), "plain" the ChatML fallback, else a .jinja
	// file.
	ChatTemplate string
	// Seed initialises a head the directory lacks (a plain policy
	// directory), as NewRM does.
	Seed uint64
}

// LoadRM reads a Hugging Face directory: config.json, safetensors weights
// with the backbone's names plus a value head under one of the names TRL,
// OpenRLHF or transformers use (a directory without a head gets a fresh
// one), and the tokenizer. An lm_head.weight in the files is checked for
// its shape and not read (a reward model never uses it). Every tensor is
// checked before anything is read (policy.CheckTensors: missing,
// unexpected, mis-shaped or of an unsupported dtype, all listed in one
// *policy.LoadError); no backbone weight is drawn at random.
func LoadRM(ctx context.Context, backend compute.Backend, dir string, opts RMLoadOptions) (*RewardModel, error) {
	cfg, err := policy.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("rewards: %w", err)
	}
	tok := opts.Tokenizer
	if tok == nil {
		if tok, err = tokenizer.LoadDir(dir); err != nil {
			return nil, fmt.Errorf("rewards: %w", err)
		}
	}
	tmpl, err := policy.LoadTemplate(opts.ChatTemplate, dir)
	if err != nil {
		return nil, err
	}
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("rewards: %w", err)
	}
	defer set.Close()
	params := BackboneParams(cfg)
	head := findHead(set)
	want := params
	if head[0] != "" {
		want = append(slices.Clone(params), policy.Param{Name: head[0], Shape: []int{1, cfg.HiddenSize}})
		if _, ok := set.Info(head[1]); ok {
			want = append(want, policy.Param{Name: head[1], Shape: []int{1}})
		}
	}
	lmHead := []int{cfg.VocabSize, cfg.HiddenSize}
	allow := func(name string) bool {
		info, _ := set.Info(name)
		return name == "lm_head.weight" && slices.Equal(info.Shape, lmHead)
	}
	if err := policy.CheckTensors(dir, set, headShapes(set, want), allow); err != nil {
		return nil, err
	}
	bb, err := policy.Empty(backend, cfg, policy.Options{ScopePath: BackboneScope})
	if err != nil {
		return nil, fmt.Errorf("rewards: %w", err)
	}
	bb.SourceDir = dir
	rm := &RewardModel{Backbone: bb, Tokenizer: tok, Template: tmpl}
	w, b, err := readHead(set, head, cfg.HiddenSize, opts.Seed)
	if err != nil {
		return nil, err
	}
	if err := bb.ReadWeights(ctx, set, params); err != nil {
		return nil, err
	}
	if err := rm.SetHead(w, b); err != nil {
		return nil, err
	}
	return rm, nil
}

// findHead returns the first (weight, bias) name pair of headNames whose
// weight the files hold, or empty names.
func findHead(set *safetensors.Set) [2]string {
	for _, names := range headNames {
		if _, ok := set.Info(names[0]); ok {
			return names
		}
	}
	return [2]string{}
}

// headShapes relaxes the wanted shape of a head weight stored as [D]
// instead of [1, D] (both are in use) so that CheckTensors accepts either.
func headShapes(set *safetensors.Set, want []policy.Param) []policy.Param {
	out := slices.Clone(want)
	for i, p := range out {
		info, ok := set.Info(p.Name)
		if ok && len(p.Shape) == 2 && p.Shape[0] == 1 && slices.Equal(info.Shape, p.Shape[1:]) {
			out[i].Shape = info.Shape
		}
	}
	return out
}

// readHead reads the head named head (fresh from seed when the files hold
// none): the weight's D values and the bias (0 when absent).
func readHead(set *safetensors.Set, head [2]string, d int, seed uint64) ([]float32, float32, error) {
	if head[0] == "" {
		return freshHead(d, seed), 0, nil
	}
	w, err := set.Float32(head[0])
	if err != nil {
		return nil, 0, fmt.Errorf("rewards: %w", err)
	}
	if _, ok := set.Info(head[1]); !ok {
		return w, 0, nil
	}
	bv, err := set.Float32(head[1])
	if err != nil {
		return nil, 0, fmt.Errorf("rewards: %w", err)
	}
	return w, bv[0], nil
}

// WeightTensors returns every weight in float32 under its Hugging Face
// name, the backbone's (BackboneParams) streamed from the variables when
// written (adapters merged in, one matrix at a time), and the head's.
func (rm *RewardModel) WeightTensors(ctx context.Context) ([]safetensors.Tensor, error) {
	var ts []safetensors.Tensor
	for _, p := range BackboneParams(rm.Backbone.Config) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := rm.Backbone.SavedWeightTensor(p.Name, safetensors.F32)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	w, b, err := rm.HeadParams()
	if err != nil {
		return nil, err
	}
	ts = append(ts, f32Tensor(HeadWeightName, w, []int{1, len(w)}), f32Tensor(HeadBiasName, []float32{b}, []int{1}))
	return ts, nil
}

func f32Tensor(name string, vals []float32, shape []int) safetensors.Tensor {
	raw, _ := safetensors.EncodeFloat32(nil, vals, safetensors.F32) // F32 never fails
	return safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: slices.Clone(shape), Data: raw}
}

// ConfigJSON returns the backbone's config.json.
func (rm *RewardModel) ConfigJSON() ([]byte, error) {
	cfg := *rm.Backbone.Config
	cfg.TorchDType = "float32"
	return cfg.Marshal()
}

// Save writes the reward model as a Hugging Face directory: config.json,
// model.safetensors (float32, backbone names plus v_head.summary.*),
// tokenizer.json and tokenizer_config.json.
func (rm *RewardModel) Save(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("rewards: save: %w", err)
	}
	ts, err := rm.WeightTensors(ctx)
	if err != nil {
		return err
	}
	if err := safetensors.WriteDir(dir, ts, 0); err != nil {
		return fmt.Errorf("rewards: save: %w", err)
	}
	js, err := rm.ConfigJSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644); err != nil {
		return fmt.Errorf("rewards: save: %w", err)
	}
	if rm.Tokenizer != nil {
		if err := rm.Tokenizer.Save(dir); err != nil {
			return fmt.Errorf("rewards: save: %w", err)
		}
	}
	return nil
}

// TokenizerFiles returns the bytes of tokenizer.json and
// tokenizer_config.json as Tokenizer.Save writes them, keyed by file name.
func TokenizerFiles(tok *tokenizer.Tokenizer) (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "tokenizer-")
	if err != nil {
		return nil, fmt.Errorf("rewards: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := tok.Save(tmp); err != nil {
		return nil, fmt.Errorf("rewards: %w", err)
	}
	out := map[string][]byte{}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		data, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			return nil, fmt.Errorf("rewards: %w", err)
		}
		out[name] = data
	}
	return out, nil
}

// WriteWeights writes every weight as one float32 safetensors file,
// streamed tensor by tensor.
func (rm *RewardModel) WriteWeights(ctx context.Context, w io.Writer) error {
	ts, err := rm.WeightTensors(ctx)
	if err != nil {
		return err
	}
	return safetensors.WriteTo(w, ts, map[string]string{"format": "pt"})
}

// WriteHead writes the value head alone (HeadWeightName [1, D] and
// HeadBiasName [1], float32) as a safetensors file.
func (rm *RewardModel) WriteHead(w io.Writer) error {
	hw, hb, err := rm.HeadParams()
	if err != nil {
		return err
	}
	ts := []safetensors.Tensor{f32Tensor(HeadWeightName, hw, []int{1, len(hw)}), f32Tensor(HeadBiasName, []float32{hb}, []int{1})}
	return safetensors.WriteTo(w, ts, map[string]string{"format": "pt"})
}

// LoadHead sets the value head from a file written by WriteHead.
func (rm *RewardModel) LoadHead(path string) error {
	f, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("rewards: value head: %w", err)
	}
	defer f.Close()
	w, err := f.Float32(HeadWeightName)
	if err != nil {
		return fmt.Errorf("rewards: value head %s: %w", path, err)
	}
	b, err := f.Float32(HeadBiasName)
	if err != nil || len(b) != 1 {
		return fmt.Errorf("rewards: value head %s: bias: want one value (%v)", path, err)
	}
	return rm.SetHead(w, b[0])
}
