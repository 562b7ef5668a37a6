package optim

import (
	"fmt"
	"io"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"acecoder/policy/safetensors"

	"acecoder/policy"
)

// TrainVar is one trainable variable: Name is its stable name in the
// optimiser-state file (e.g. the Hugging Face weight name), Decay says
// whether weight decay applies (matrices yes; biases and norms no, as
// OpenRLHF groups them).
type TrainVar struct {
	Name  string
	Var   *model.Variable
	Decay bool
}

// Optimizer is AdamW with gradient accumulation and global-norm clipping on
// variables of a GoMLX store. Its state (first and second moments, and the
// gradient accumulators) are float32 variables under /optim in the same
// store, never marked trainable. A training step is:
//
//  1. for each micro-batch, a graph that computes the loss and calls
//     Accumulate(loss, scale) (scale = 1/#micro-batches, so the step uses
//     the mean gradient, as DeepSpeed's accumulation does);
//  2. Apply(lr, t): clip the accumulated gradient by its global norm, do
//     the AdamW update, zero the accumulators; it returns the norm before
//     clipping.
//
// The update count t and the learning rate are loop state kept by the
// caller, so resuming needs only the moments (StateTensors / LoadState).
type Optimizer struct {
	Config AdamW
	Vars   []TrainVar

	backend   compute.Backend
	store     *model.Store
	m, v, acc []*model.Variable

	mu          sync.Mutex
	norm        *model.Exec   // the accumulated gradient's global norm
	groups      []*model.Exec // the update, one graph per group of variables
	groupValues int           // GroupValues (tests set less)
}

// GroupValues bounds the values one update graph changes: the go backend
// writes a graph's new weights, moments and zeroed accumulators beside the
// old ones before it frees those, 16 bytes per value, so updating the
// variables in groups keeps that transient near 16·GroupValues bytes (or
// 16 bytes per value of the largest variable) instead of 16 bytes per
// trained value.
const GroupValues = 16 << 20

// NewOptimizer creates zeroed moment and accumulator variables for vars.
func New(backend compute.Backend, store *model.Store, vars []TrainVar, cfg AdamW) (*Optimizer, error) {
	o := &Optimizer{Config: cfg, Vars: vars, backend: backend, store: store, groupValues: GroupValues}
	seen := map[string]bool{}
	for _, tv := range vars {
		if tv.Var == nil || seen[tv.Name] {
			return nil, fmt.Errorf("optim: optimizer: variable %q missing or repeated", tv.Name)
		}
		seen[tv.Name] = true
		sh := tv.Var.Shape()
		if sh.DType != dtypes.Float32 {
			return nil, fmt.Errorf("optim: optimizer: %s is %s, want float32", tv.Name, sh.DType)
		}
		for _, kind := range []string{"m", "v", "acc"} {
			path := model.JoinPath("/optim", kind, tv.Var.Path())
			if store.GetVariable(path) != nil {
				return nil, fmt.Errorf("optim: optimizer: %s already exists", path)
			}
			zeros, err := policy.DeviceZeros(backend, sh.Dimensions...)
			if err != nil {
				return nil, fmt.Errorf("optim: optimizer: %w", err)
			}
			nv, err := store.CreateVariable(path, zeros)
			if err != nil {
				return nil, fmt.Errorf("optim: optimizer: %w", err)
			}
			nv.SetTrainable(false)
			switch kind {
			case "m":
				o.m = append(o.m, nv)
			case "v":
				o.v = append(o.v, nv)
			default:
				o.acc = append(o.acc, nv)
			}
		}
	}
	return o, nil
}

// Accumulate adds scale·∂loss/∂var to each accumulator. It is a graph
// function: call it inside the graph that computed loss from the variables'
// NodeValue (before any of them is updated in that graph). scale: scalar
// float32 node.
func (o *Optimizer) Accumulate(loss, scale *Node) {
	g := loss.Graph()
	nodes := make([]*Node, len(o.Vars))
	for i, tv := range o.Vars {
		nodes[i] = tv.Var.NodeValue(g)
	}
	grads := Gradient(loss, nodes...)
	for i, gr := range grads {
		if gr == nil {
			exceptions.Panicf("trainer: no gradient for %s", o.Vars[i].Name)
		}
		o.acc[i].SetNodeValue(Add(o.acc[i].NodeValue(g), Mul(gr, scale)))
	}
}

// normGraph returns the global norm of the accumulated gradients.
func (o *Optimizer) normGraph(_ *model.Scope, g *Graph) *Node {
	policy.VariablesAsParameters(o.store, g)
	grads := make([]*Node, len(o.acc))
	for i, a := range o.acc {
		grads[i] = a.NodeValue(g)
	}
	return GlobalNorm(grads)
}

// updateGraph returns the graph function that clips the accumulated
// gradients of variables [lo, hi) by the global norm, updates their
// parameters and moments and zeroes their accumulators. Inputs: lr, bc1,
// bc2, norm (float32 scalars).
func (o *Optimizer) updateGraph(lo, hi int) func(_ *model.Scope, lr, bc1, bc2, norm *Node) {
	return func(_ *model.Scope, lr, bc1, bc2, norm *Node) {
		g := lr.Graph()
		policy.VariablesAsParameters(o.store, g)
		coef := ClipCoef(norm, o.Config.MaxNorm)
		for i := lo; i < hi; i++ {
			tv := o.Vars[i]
			grad := o.acc[i].NodeValue(g)
			p, m, v := AdamWStep(o.Config, tv.Var.NodeValue(g), Mul(grad, coef),
				o.m[i].NodeValue(g), o.v[i].NodeValue(g), lr, bc1, bc2, tv.Decay)
			tv.Var.SetNodeValue(p)
			o.m[i].SetNodeValue(m)
			o.v[i].SetNodeValue(v)
			o.acc[i].SetNodeValue(ZerosLike(grad))
		}
	}
}

// groupBounds splits the variables, in order, into runs of at most
// GroupValues values (a larger variable is a group of its own).
func (o *Optimizer) groupBounds() [][2]int {
	var out [][2]int
	lo, n := 0, 0
	for i, tv := range o.Vars {
		size := tv.Var.Shape().Size()
		if i > lo && n+size > o.groupValues {
			out = append(out, [2]int{lo, i})
			lo, n = i, 0
		}
		n += size
	}
	if lo < len(o.Vars) {
		out = append(out, [2]int{lo, len(o.Vars)})
	}
	return out
}

// Apply runs the update for the t-th optimiser step (t ≥ 1) with learning
// rate lr and returns the gradient norm before clipping: the norm of all
// accumulated gradients first, then the update group by group
// (GroupValues).
func (o *Optimizer) Apply(lr float64, t int) (norm float64, err error) {
	defer policy.RecoverGraph(&err, "optim: optimizer step")
	if t < 1 {
		return 0, fmt.Errorf("optim: optimizer step %d (want ≥ 1)", t)
	}
	o.mu.Lock()
	if o.norm == nil {
		if o.norm, err = model.NewExec(o.backend, o.store, o.normGraph); err == nil {
			for _, b := range o.groupBounds() {
				var e *model.Exec
				if e, err = model.NewExec(o.backend, o.store, o.updateGraph(b[0], b[1])); err != nil {
					break
				}
				o.groups = append(o.groups, e)
			}
		}
		if err != nil {
			o.norm, o.groups = nil, nil
		}
	}
	normExec, groups := o.norm, o.groups
	o.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("optim: optimizer: %w", err)
	}
	out, err := normExec.Exec()
	if err != nil {
		return 0, fmt.Errorf("optim: optimizer step %d: %w", t, err)
	}
	n := tensors.ToScalar[float32](out[0])
	bc1, bc2 := o.Config.BiasCorrections(t)
	for _, e := range groups {
		if _, err := e.Exec(tensors.FromScalar(float32(lr)), tensors.FromScalar(float32(bc1)), tensors.FromScalar(float32(bc2)), tensors.FromScalar(n)); err != nil {
			return 0, fmt.Errorf("optim: optimizer step %d: %w", t, err)
		}
	}
	return float64(n), nil
}

// Accumulator is the variable accumulating Vars[i]'s gradient between
// two Apply calls.
func (o *Optimizer) Accumulator(i int) *model.Variable { return o.acc[i] }

// ResetAccumulators zeroes the accumulated gradients (after an aborted step).
func (o *Optimizer) ResetAccumulators() error {
	for _, a := range o.acc {
		if err := a.SetValue(tensors.FromShape(a.Shape())); err != nil {
			return fmt.Errorf("optim: optimizer: %w", err)
		}
	}
	return nil
}

// StateTensors returns the moments as float32 tensors named "m.NAME" and
// "v.NAME" (NAME from TrainVar), for a checkpoint file.
func (o *Optimizer) StateTensors() ([]safetensors.Tensor, error) {
	var out []safetensors.Tensor
	for i, tv := range o.Vars {
		for _, kv := range []struct {
			prefix string
			v      *model.Variable
		}{{"m.", o.m[i]}, {"v.", o.v[i]}} {
			out = append(out, VariableTensor(kv.prefix+tv.Name, kv.v))
		}
	}
	return out, nil
}

// WriteState writes the moments as one safetensors file to w.
func (o *Optimizer) WriteState(w io.Writer) error {
	ts, err := o.StateTensors()
	if err != nil {
		return err
	}
	return safetensors.WriteTo(w, ts, map[string]string{"format": "pt"})
}

// LoadState sets the moments from a safetensors file written by
// WriteState; every moment must be present with its shape.
func (o *Optimizer) LoadState(data []byte) error {
	get, err := ReadSafetensors(data)
	if err != nil {
		return fmt.Errorf("optim: optimizer state: %w", err)
	}
	for i, tv := range o.Vars {
		for _, kv := range []struct {
			prefix string
			v      *model.Variable
		}{{"m.", o.m[i]}, {"v.", o.v[i]}} {
			if err := SetVariable(kv.v, get, kv.prefix+tv.Name); err != nil {
				return fmt.Errorf("optim: optimizer state: %w", err)
			}
		}
	}
	return o.ResetAccumulators()
}
