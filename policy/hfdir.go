package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"acecoder/policy/safetensors"

	"github.com/gomlx/compute"
)

// LoadError lists every tensor that does not match the architecture: HF
// names the model needs but the files lack, names the files hold that the
// model does not use, and tensors whose shape or dtype is wrong.
type LoadError struct {
	Dir        string
	Missing    []string
	Unexpected []string
	Misshaped  []string // "name: file [a b], model [c d]" or "name: dtype X not supported"
}

func (e *LoadError) Error() string {
	var parts []string
	add := func(what string, names []string) {
		if len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s: %s", len(names), what, strings.Join(names, ", ")))
		}
	}
	add("missing", e.Missing)
	add("unexpected", e.Unexpected)
	add("mis-shaped", e.Misshaped)
	return fmt.Sprintf("policy: weights in %s do not match the config: %s", e.Dir, strings.Join(parts, "; "))
}

func (e *LoadError) empty() bool { return len(e.Missing)+len(e.Unexpected)+len(e.Misshaped) == 0 }

// Load reads a Hugging Face model directory (config.json plus
// model.safetensors or sharded model-*.safetensors with the index; F32,
// BF16 or F16) into a new model; weights become float32 variables. No
// weight is drawn at random first.
func Load(ctx context.Context, backend compute.Backend, dir string, opts Options) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	m, err := Empty(backend, cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := m.LoadWeights(ctx, dir); err != nil {
		return nil, err
	}
	m.SourceDir = dir
	return m, nil
}

// LoadWeights replaces the model's weights with those of the safetensors
// files in dir, after checking the complete name/shape mapping: any
// mismatch is a *LoadError listing all of them, and nothing is changed.
func (m *Model) LoadWeights(ctx context.Context, dir string) error {
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	defer set.Close()
	params := m.Config.Params()
	tiedCopy := func(name string) bool { // some tied checkpoints store the shared matrix twice
		return name == "lm_head.weight" && m.Config.TieWordEmbeddings && sameTensor(set, name, "model.embed_tokens.weight")
	}
	if err := CheckTensors(dir, set, params, tiedCopy); err != nil {
		return err
	}
	return m.ReadWeights(ctx, set, params)
}

// CheckTensors checks the tensors of set (opened from dir) against the
// parameters want: each must be present with its shape and a dtype of F32,
// BF16 or F16, and every tensor of the files must be wanted or allowed
// (allow may be nil; allowed tensors are not read). Every problem is
// listed in one *LoadError.
func CheckTensors(dir string, set *safetensors.Set, want []Param, allow func(name string) bool) error {
	le := &LoadError{Dir: dir}
	wanted := map[string]bool{}
	for _, p := range want {
		wanted[p.Name] = true
		info, ok := set.Info(p.Name)
		switch {
		case !ok:
			le.Missing = append(le.Missing, p.Name)
		case !slices.Equal(info.Shape, p.Shape):
			le.Misshaped = append(le.Misshaped, fmt.Sprintf("%s: file %v, model %v", p.Name, info.Shape, p.Shape))
		case info.DType != safetensors.F32 && info.DType != safetensors.BF16 && info.DType != safetensors.F16:
			le.Misshaped = append(le.Misshaped, fmt.Sprintf("%s: dtype %s not supported (want F32, BF16 or F16)", p.Name, info.DType))
		}
	}
	for _, name := range set.Names() {
		if !wanted[name] && (allow == nil || !allow(name)) {
			le.Unexpected = append(le.Unexpected, name)
		}
	}
	if !le.empty() {
		return le
	}
	return nil
}

// ReadWeights reads params from set (checked with CheckTensors) and makes
// them the model's weights. Every tensor is read before any weight
// changes, so a read error leaves the model as it was.
func (m *Model) ReadWeights(ctx context.Context, set *safetensors.Set, params []Param) error {
	vals := make([][]float32, len(params))
	for i, p := range params {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := set.Float32(p.Name)
		if err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		vals[i] = v
	}
	for i, p := range params {
		if err := m.setWeight(p.Name, vals[i]); err != nil {
			return err
		}
		vals[i] = nil // the variable owns it now
	}
	return nil
}

func sameTensor(set *safetensors.Set, a, b string) bool {
	x, errA := set.Float32(a)
	y, errB := set.Float32(b)
	return errA == nil && errB == nil && slices.Equal(x, y)
}

// SaveOptions configures Save.
type SaveOptions struct {
	// DType of the written tensors: F32, BF16 or F16; empty follows the
	// config's torch_dtype (float32 when unset).
	DType safetensors.DType
	// MaxShardBytes > 0 splits the weights into numbered shards plus
	// model.safetensors.index.json once they exceed it.
	MaxShardBytes int64
	// TokenizerDir holds tokenizer files to copy (tokenizer.json,
	// tokenizer_config.json, ...); empty means the model's SourceDir.
	TokenizerDir string
}

// TokenizerFiles are copied by Save when present.
var TokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
	"vocab.json", "merges.txt", "generation_config.json", "added_tokens.json"}

// Save writes the model as a Hugging Face directory that transformers and
// vLLM open: config.json (unknown keys preserved, torch_dtype set to the
// written dtype), safetensors weights, and the tokenizer files. A model
// with LoRA adapters is written merged (SavedWeightTensor); the model
// itself keeps its adapters.
func (m *Model) Save(ctx context.Context, dir string, opts SaveOptions) error {
	dt, torchName, err := saveDType(opts.DType, m.Config.TorchDType)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("policy: save: %w", err)
	}
	var ts []safetensors.Tensor
	for _, p := range m.Config.Params() {
		t, err := m.SavedWeightTensor(p.Name, dt)
		if err != nil {
			return err
		}
		ts = append(ts, t)
	}
	if err := safetensors.WriteDir(dir, ts, opts.MaxShardBytes); err != nil {
		return fmt.Errorf("policy: save: %w", err)
	}
	cfg := *m.Config
	cfg.TorchDType = torchName
	if _, ok := cfg.Extra["dtype"]; ok { // newer transformers' spelling of torch_dtype
		cfg.Extra = maps.Clone(cfg.Extra)
		cfg.Extra["dtype"] = []byte(`"` + torchName + `"`)
	}
	js, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644); err != nil {
		return fmt.Errorf("policy: save: %w", err)
	}
	src := opts.TokenizerDir
	if src == "" {
		src = m.SourceDir
	}
	return copyTokenizer(src, dir)
}

func saveDType(d safetensors.DType, torch string) (safetensors.DType, string, error) {
	if d == "" {
		switch torch {
		case "bfloat16":
			d = safetensors.BF16
		case "float16":
			d = safetensors.F16
		default:
			d = safetensors.F32
		}
	}
	switch d {
	case safetensors.F32:
		return d, "float32", nil
	case safetensors.BF16:
		return d, "bfloat16", nil
	case safetensors.F16:
		return d, "float16", nil
	}
	return "", "", fmt.Errorf("policy: save: dtype %q not supported (want F32, BF16 or F16)", d)
}

func copyTokenizer(src, dst string) error {
	if src == "" || filepath.Clean(src) == filepath.Clean(dst) {
		return nil
	}
	names := slices.Clone(TokenizerFiles)
	sort.Strings(names)
	for _, name := range names {
		err := copyFile(filepath.Join(src, name), filepath.Join(dst, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("policy: save: copy %s: %w", name, err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
