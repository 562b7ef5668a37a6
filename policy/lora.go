package policy

// Low-rank adapters (LoRA, Hu et al. 2021) as PEFT builds them for causal
// language models: a targeted Linear y = x·Wᵀ + b becomes
//
//	y = x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ,   A [r, in], B [out, r]
//
// with A drawn as PEFT's default (Kaiming-uniform with a = √5, i.e.
// uniform(±1/√in)) and B zero, so an adapted model starts equal to its
// base. Departures from PEFT: no dropout on the adapters' input (PEFT's
// lora_dropout), no bias adapters, and targets are the decoder's seven
// projections only (embeddings and the LM head are never adapted).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// LoRAModules are the projections adapters can target, by PEFT's module
// names.
var LoRAModules = []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

// LoRA configures a model's adapters.
type LoRA struct {
	Rank  int     // r
	Alpha float64 // the update is scaled by Alpha / Rank
	// Targets are module names of LoRAModules; empty means all of them.
	Targets []string
}

// Scale is α/r.
func (l *LoRA) Scale() float64 { return l.Alpha / float64(l.Rank) }

// Validate reports bad settings, naming the config key.
func (l *LoRA) Validate() error {
	if l.Rank <= 0 {
		return fmt.Errorf("lora_rank: %d must be positive", l.Rank)
	}
	if !(l.Alpha > 0) {
		return fmt.Errorf("lora_alpha: %g must be positive", l.Alpha)
	}
	for _, t := range l.Targets {
		if !slices.Contains(LoRAModules, t) {
			return fmt.Errorf("target_modules: %q is not one of %s", t, strings.Join(LoRAModules, ", "))
		}
	}
	return nil
}

// targets reports whether the HF linear name (e.g.
// "model.layers.3.self_attn.q_proj") is adapted.
func (l *LoRA) targets(linear string) bool {
	mod := linear[strings.LastIndexByte(linear, '.')+1:]
	if !slices.Contains(LoRAModules, mod) {
		return false
	}
	return len(l.Targets) == 0 || slices.Contains(l.Targets, mod)
}

// setLoRA switches the decoder's adapters and drops the compiled host
// executors, whose graphs were built with the previous adapters.
func (m *Model) setLoRA(l *LoRA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Decoder.LoRA = l
	clear(m.execs)
}

// AdapterParam is one adapter matrix: its PEFT-style name
// ("model.layers.0.self_attn.q_proj.lora_A.weight") and shape.
type AdapterParam struct {
	Name   string
	Linear string // the adapted Linear ("model.layers.0.self_attn.q_proj")
	Shape  []int
	IsA    bool
}

// AdapterParams lists the adapter matrices of the model's LoRA config, in
// Config.Params order (nil without adapters).
func (m *Model) AdapterParams() []AdapterParam {
	if m.Decoder.LoRA == nil {
		return nil
	}
	return adapterParams(m.Config, *m.Decoder.LoRA)
}

// AdapterShapes are the shapes of the adapter matrices l gives a model of
// config c (for memory planning).
func AdapterShapes(c *Config, l LoRA) [][]int {
	var out [][]int
	for _, p := range adapterParams(c, l) {
		out = append(out, p.Shape)
	}
	return out
}

func adapterParams(c *Config, l LoRA) []AdapterParam {
	var out []AdapterParam
	for _, p := range c.Params() {
		linear, ok := strings.CutSuffix(p.Name, ".weight")
		if !ok || p.Kind != KindMatrix || !l.targets(linear) {
			continue
		}
		outDim, inDim := p.Shape[0], p.Shape[1]
		out = append(out,
			AdapterParam{Name: linear + ".lora_A.weight", Linear: linear, Shape: []int{l.Rank, inDim}, IsA: true},
			AdapterParam{Name: linear + ".lora_B.weight", Linear: linear, Shape: []int{outDim, l.Rank}})
	}
	return out
}

// adapterPath is the store path of an adapter matrix: under the decoder's
// scope, in "lora" (e.g. "/lora/model/layers/0/self_attn/q_proj/lora_A/weight").
func (d *Decoder) adapterPath(name string) string {
	return model.JoinPath(append([]string{d.Scope.Scope(), "lora"}, strings.Split(name, ".")...)...)
}

// AddAdapters gives m fresh LoRA adapters (A uniform(±1/√in) from seed,
// B zero): the adapted model computes exactly what the base does until
// B is trained.
func (m *Model) AddAdapters(l LoRA, seed uint64) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	m.setLoRA(&l)
	rng := rand.New(rand.NewPCG(seed, 0x10ea))
	for _, p := range m.AdapterParams() {
		vals := make([]float32, p.Shape[0]*p.Shape[1])
		if p.IsA {
			bound := 1 / math.Sqrt(float64(p.Shape[1]))
			for i := range vals {
				vals[i] = float32((2*rng.Float64() - 1) * bound)
			}
		}
		if err := m.SetAdapter(p.Name, vals); err != nil {
			return err
		}
	}
	return nil
}

// SetAdapter sets (creating if needed) an adapter matrix from flat values.
func (m *Model) SetAdapter(name string, vals []float32) error {
	for _, p := range m.AdapterParams() {
		if p.Name != name {
			continue
		}
		if len(vals) != p.Shape[0]*p.Shape[1] {
			return fmt.Errorf("policy: adapter %q: %d values for shape %v", name, len(vals), p.Shape)
		}
		t := tensors.FromFlatDataAndDimensions(append([]float32(nil), vals...), p.Shape...)
		path := m.Decoder.adapterPath(name)
		if v := m.Store.GetVariable(path); v != nil {
			return v.SetValue(t)
		}
		_, err := m.Store.CreateVariable(path, t)
		return err
	}
	return fmt.Errorf("policy: %q is not an adapter of this model", name)
}

// AdapterVariable returns the variable of an adapter matrix (nil if none).
func (m *Model) AdapterVariable(name string) *model.Variable {
	return m.Store.GetVariable(m.Decoder.adapterPath(name))
}

// adaptersOffKey is the graph parameter WithoutAdapters sets.
const adaptersOffKey = "/acecoder/policy/adapters_off"

// WithoutAdapters makes the decoder in graph g compute the base model: the
// frozen reference policy of an adapted run, with no second copy of the
// weights.
func WithoutAdapters(g *Graph) { model.SetGraphParam(g, adaptersOffKey, true) }

// adapted returns the low-rank update (α/r)·(x·Aᵀ)·Bᵀ of the Linear named
// linear for x [...,in], or nil when it is not adapted in x's graph.
func (d *Decoder) adapted(x *Node, linear string) *Node {
	if d.LoRA == nil || !d.LoRA.targets(linear) {
		return nil
	}
	g := x.Graph()
	if off, _ := model.GetGraphParam(g, adaptersOffKey); off == true {
		return nil
	}
	a := d.adapterWeight(g, linear+".lora_A.weight")
	b := d.adapterWeight(g, linear+".lora_B.weight")
	return MulScalar(dense(dense(x, a, nil), b, nil), d.LoRA.Scale())
}

func (d *Decoder) adapterWeight(g *Graph, name string) *Node {
	v := d.Scope.Store().GetVariable(d.adapterPath(name))
	if v == nil {
		exceptions.Panicf("policy: adapter %q not found (adapters not added or loaded)", name)
	}
	return v.NodeValue(g)
}

// MergedWeight returns W + (α/r)·B·A of an adapted Linear's weight (the
// plain weight when the Linear is not adapted), in float64 accumulation:
// linear is the HF name without ".weight".
func (m *Model) MergedWeight(linear string) ([]float32, []int, error) {
	w, shape, err := m.Weight(linear + ".weight")
	if err != nil || m.Decoder.LoRA == nil || !m.Decoder.LoRA.targets(linear) {
		return w, shape, err
	}
	if err := m.addAdapter(w, linear, shape); err != nil {
		return nil, nil, err
	}
	return w, shape, nil
}

// mergeBufs holds the buffers writeMerged computes merged weights in, so
// saving a model allocates one matrix, not one per adapted Linear.
var mergeBufs sync.Pool

// writeMerged calls fn with W + (α/r)·B·A of an adapted Linear's weight
// of shape, computed in a pooled buffer that fn must not keep.
func (m *Model) writeMerged(linear string, shape []int, fn func([]float32)) error {
	v := m.Store.GetVariable(VariablePath(m.Decoder.Scope, linear+".weight"))
	if v == nil {
		return fmt.Errorf("policy: no weight %q", linear+".weight")
	}
	t, err := v.Value()
	if err != nil {
		return err
	}
	n := shape[0] * shape[1]
	bp, _ := mergeBufs.Get().(*[]float32)
	if bp == nil || cap(*bp) < n {
		bp = new([]float32)
		*bp = make([]float32, n)
	}
	defer mergeBufs.Put(bp)
	w := (*bp)[:n]
	if err := tensors.ConstFlatData(t, func(vals []float32) { copy(w, vals) }); err != nil {
		return err
	}
	if err := m.addAdapter(w, linear, shape); err != nil {
		return err
	}
	fn(w)
	return nil
}

// addAdapter adds (α/r)·B·A of linear's adapters to w, its weight [out,in].
func (m *Model) addAdapter(w []float32, linear string, shape []int) error {
	a, err := flatVariable(m.AdapterVariable(linear + ".lora_A.weight"))
	if err != nil {
		return err
	}
	b, err := flatVariable(m.AdapterVariable(linear + ".lora_B.weight"))
	if err != nil {
		return err
	}
	out, in, r, s := shape[0], shape[1], m.Decoder.LoRA.Rank, m.Decoder.LoRA.Scale()
	for o := range out {
		for i := range in {
			acc := 0.0
			for k := range r {
				acc += float64(b[o*r+k]) * float64(a[k*in+i])
			}
			w[o*in+i] += float32(s * acc)
		}
	}
	return nil
}

func flatVariable(v *model.Variable) ([]float32, error) {
	if v == nil {
		return nil, fmt.Errorf("policy: adapter missing")
	}
	t, err := v.Value()
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](t)
}
