package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy/safetensors"
)

// Model is a decoder with its weights in a GoMLX store, plus compiled
// host-level executors (cached per input shape by GoMLX). The weights are
// ordinary trainable float32 variables: a trainer builds its loss from
// Decoder's graph functions inside its own model.Exec on the same Store and
// differentiates it with Scope.BuildTrainableVariablesGradientsGraph /
// an optimizer's UpdateGraph.
type Model struct {
	Config  *Config
	Store   *model.Store
	Decoder *Decoder
	Backend compute.Backend
	// SourceDir is the Hugging Face directory the model was loaded from;
	// Save copies tokenizer files from it by default.
	SourceDir string

	mu    sync.Mutex
	execs map[string]*model.Exec
}

// Options places a model's weights: in Store (a new one when nil) under
// the scope ScopePath (root when empty). A reward model puts its value head
// in another scope of the same store.
type Options struct {
	Store     *model.Store
	ScopePath string
}

// InitOptions configures random initialisation.
type InitOptions struct {
	Options
	Seed uint64
	// Std of the normal init of matrices; 0 means the config's
	// initializer_range, or 0.02 (HF's default).
	Std float64
	// PerturbAll also randomises biases (normal, Std) and norm weights
	// (1 + normal·0.1) so that tests exercise every weight; HF initialises
	// them to 0 and 1.
	PerturbAll bool
	// Params restricts the weights created to these (nil: all of
	// Config.Params); the draws of the others are still made, so a weight
	// gets the same values either way.
	Params []Param
}

// Empty returns a model with no weights yet (Load, ReadWeights and
// SetWeight create them), so that loading never draws random weights
// first.
func Empty(backend compute.Backend, cfg *Config, opts Options) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store := opts.Store
	if store == nil {
		store = model.NewStore()
	}
	scope := store.RootScope()
	if opts.ScopePath != "" && opts.ScopePath != "/" {
		scope = store.Scope(opts.ScopePath)
	}
	return &Model{
		Config:  cfg,
		Store:   store,
		Decoder: &Decoder{Config: cfg, Scope: scope},
		Backend: backend,
		execs:   map[string]*model.Exec{},
	}, nil
}

// New creates a model with seeded random weights (normal(0, std) matrices,
// zero biases, unit norms, as HF's _init_weights). The same seed gives the
// same weights.
func New(backend compute.Backend, cfg *Config, opts InitOptions) (*Model, error) {
	m, err := Empty(backend, cfg, opts.Options)
	if err != nil {
		return nil, err
	}
	std := opts.Std
	if std == 0 {
		std = cfg.InitializerRange
	}
	if std == 0 {
		std = 0.02
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	keep := map[string]bool{}
	for _, p := range opts.Params {
		keep[p.Name] = true
	}
	for _, p := range cfg.Params() {
		vals := make([]float32, numElements(p.Shape))
		for i := range vals {
			switch {
			case p.Kind == KindMatrix:
				vals[i] = float32(rng.NormFloat64() * std)
			case p.Kind == KindBias && opts.PerturbAll:
				vals[i] = float32(rng.NormFloat64() * std)
			case p.Kind == KindNorm && opts.PerturbAll:
				vals[i] = float32(1 + 0.1*rng.NormFloat64())
			case p.Kind == KindNorm:
				vals[i] = 1
			}
		}
		if opts.Params != nil && !keep[p.Name] {
			continue
		}
		if err := m.setWeight(p.Name, vals); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// param returns the Param of an HF name.
func (m *Model) param(name string) (Param, bool) {
	for _, p := range m.Config.Params() {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// SetWeight sets (creating if needed) the HF-named weight from flat
// float32 values in the parameter's shape.
func (m *Model) SetWeight(name string, vals []float32) error {
	return m.setWeight(name, append([]float32(nil), vals...))
}

// setWeight is SetWeight taking ownership of vals (no copy).
func (m *Model) setWeight(name string, vals []float32) error {
	p, ok := m.param(name)
	if !ok {
		return fmt.Errorf("policy: %q is not a weight of %s", name, m.Config.ModelType)
	}
	if len(vals) != numElements(p.Shape) {
		return fmt.Errorf("policy: weight %q: %d values for shape %v", name, len(vals), p.Shape)
	}
	t, err := DeviceTensor(m.Backend, vals, p.Shape...)
	if err != nil {
		return fmt.Errorf("policy: weight %q: %w", name, err)
	}
	path := VariablePath(m.Decoder.Scope, name)
	if v := m.Store.GetVariable(path); v != nil {
		if err := v.SetValue(t); err != nil {
			return fmt.Errorf("policy: weight %q: %w", name, err)
		}
		return nil
	}
	if _, err := m.Store.CreateVariable(path, t); err != nil {
		return fmt.Errorf("policy: weight %q: %w", name, err)
	}
	return nil
}

// Weight returns a copy of the HF-named weight as flat float32 values and
// its shape.
func (m *Model) Weight(name string) ([]float32, []int, error) {
	v := m.Store.GetVariable(VariablePath(m.Decoder.Scope, name))
	if v == nil {
		return nil, nil, fmt.Errorf("policy: no weight %q", name)
	}
	t, err := v.Value()
	if err != nil {
		return nil, nil, fmt.Errorf("policy: weight %q: %w", name, err)
	}
	if t.DType() != dtypes.Float32 {
		return nil, nil, fmt.Errorf("policy: weight %q is %s, want float32", name, t.DType())
	}
	vals, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, nil, fmt.Errorf("policy: weight %q: %w", name, err)
	}
	return vals, t.Shape().Dimensions, nil
}

// WeightTensor returns the HF-named weight as a safetensors tensor of
// dtype d whose bytes are encoded from the variable's value when written
// (safetensors.Float32Writer): saving streams the weights instead of
// holding an encoded copy of the model.
func (m *Model) WeightTensor(name string, d safetensors.DType) (safetensors.Tensor, error) {
	v := m.Store.GetVariable(VariablePath(m.Decoder.Scope, name))
	if v == nil {
		return safetensors.Tensor{}, fmt.Errorf("policy: no weight %q", name)
	}
	if v.Shape().DType != dtypes.Float32 {
		return safetensors.Tensor{}, fmt.Errorf("policy: weight %q is %s, want float32", name, v.Shape().DType)
	}
	return safetensors.Tensor{Name: name, DType: d, Shape: v.Shape().Dimensions,
		Write: safetensors.Float32Writer(d, func(fn func([]float32)) error {
			t, err := v.Value()
			if err != nil {
				return fmt.Errorf("policy: weight %q: %w", name, err)
			}
			return tensors.ConstFlatData(t, fn)
		})}, nil
}

// SavedWeightTensor is WeightTensor for saving as a plain Hugging Face
// model: an adapted Linear's weight is written merged (W + (α/r)·B·A),
// computed when the tensor is written, so saving holds one merged matrix
// at a time and leaves the model's adapters as they are.
func (m *Model) SavedWeightTensor(name string, d safetensors.DType) (safetensors.Tensor, error) {
	linear, ok := strings.CutSuffix(name, ".weight")
	if !ok || m.Decoder.LoRA == nil || !m.Decoder.LoRA.targets(linear) {
		return m.WeightTensor(name, d)
	}
	v := m.Store.GetVariable(VariablePath(m.Decoder.Scope, name))
	if v == nil {
		return safetensors.Tensor{}, fmt.Errorf("policy: no weight %q", name)
	}
	return safetensors.Tensor{Name: name, DType: d, Shape: v.Shape().Dimensions,
		Write: safetensors.Float32Writer(d, func(fn func([]float32)) error {
			if err := m.writeMerged(linear, v.Shape().Dimensions, fn); err != nil {
				return fmt.Errorf("policy: weight %q: %w", name, err)
			}
			return nil
		})}, nil
}

// NumParameters counts the decoder's scalar weights.
func (m *Model) NumParameters() int {
	n := 0
	for _, p := range m.Config.Params() {
		n += numElements(p.Shape)
	}
	return n
}

// RecoverGraph, deferred by a function that builds or runs GoMLX graphs
// (which panic on error, GoMLX's convention), turns a panic into the
// error "what: cause" in *err. It is the boundary between graph code and
// the error-returning rest of the system.
func RecoverGraph(err *error, what string) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*err = fmt.Errorf("%s: %w", what, e)
		} else {
			*err = fmt.Errorf("%s: %v", what, r)
		}
	}
}

var errClosed = errors.New("policy: model has no backend")
