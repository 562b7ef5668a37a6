package optim

import (
	"fmt"
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/backend"
	"acecoder/policy"
)

// adamWRef is PyTorch's AdamW step for one tensor, in float64.
func adamWRef(c AdamW, p, g, m, v []float64, lr float64, t int, decay bool) {
	bc1, bc2 := 1-math.Pow(c.Beta1, float64(t)), 1-math.Pow(c.Beta2, float64(t))
	for i := range p {
		if decay {
			p[i] *= 1 - lr*c.WeightDecay
		}
		m[i] = c.Beta1*m[i] + (1-c.Beta1)*g[i]
		v[i] = c.Beta2*v[i] + (1-c.Beta2)*g[i]*g[i]
		p[i] -= lr / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + c.Eps)
	}
}

// clipRef is clip_grad_norm_: the total norm and the clipped gradients.
func clipRef(grads [][]float64, maxNorm float64) float64 {
	var s float64
	for _, g := range grads {
		for _, x := range g {
			s += x * x
		}
	}
	norm := math.Sqrt(s)
	if coef := maxNorm / (norm + 1e-6); maxNorm > 0 && coef < 1 {
		for _, g := range grads {
			for i := range g {
				g[i] *= coef
			}
		}
	}
	return norm
}

// TestOptimizerMatchesPlainGo runs three steps of two accumulated
// micro-batches on two variables (one decayed) with clipping active, and
// compares parameters and moments with the float64 reference, with the
// update in one graph and in one graph per variable.
func TestOptimizerMatchesPlainGo(t *testing.T) {
	for _, gv := range []int{GroupValues, 1} {
		t.Run(fmt.Sprintf("group-values=%d", gv), func(t *testing.T) { checkOptimizerMatchesPlainGo(t, gv) })
	}
}

func checkOptimizerMatchesPlainGo(t *testing.T, groupValues int) {
	b := backend.MustOpenGo()
	store := model.NewStore()
	init := [][]float32{{0.5, -1, 2, 0.25}, {0.1, -0.3}}
	var vars []TrainVar
	for i, vals := range init {
		v, err := store.CreateVariable([]string{"/w", "/b"}[i], tensors.FromFlatDataAndDimensions(append([]float32(nil), vals...), len(vals)))
		if err != nil {
			t.Fatal(err)
		}
		vars = append(vars, TrainVar{Name: []string{"w", "b"}[i], Var: v, Decay: i == 0})
	}
	cfg := AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, MaxNorm: 0.5}
	opt, err := New(b, store, vars, cfg)
	if err != nil {
		t.Fatal(err)
	}
	opt.groupValues = groupValues
	if n := len(opt.groupBounds()); n != map[int]int{GroupValues: 1, 1: 2}[groupValues] {
		t.Fatalf("%d update groups with group values %d", n, groupValues)
	}
	// loss(x) = Σ_i c_i·w_i² + Σ_j d_j·b_j with per-micro-batch coefficients x.
	acc, err := model.NewExec(b, store, func(_ *model.Scope, x, scale *Node) *Node {
		g := x.Graph()
		policy.VariablesAsParameters(store, g)
		w, bb := vars[0].Var.NodeValue(g), vars[1].Var.NodeValue(g)
		loss := Add(ReduceAllSum(Mul(Square(w), Slice(x, AxisRange(0, 4)))), ReduceAllSum(Mul(bb, Slice(x, AxisRange(4, 6)))))
		opt.Accumulate(loss, scale)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	p := [][]float64{{0.5, -1, 2, 0.25}, {0.1, -0.3}}
	m := [][]float64{make([]float64, 4), make([]float64, 2)}
	v := [][]float64{make([]float64, 4), make([]float64, 2)}
	micro := [][]float32{{1, 2, 3, 4, 5, -6}, {-1, 0.5, 2, 1, 3, 2}}
	for step := 1; step <= 3; step++ {
		g := [][]float64{make([]float64, 4), make([]float64, 2)}
		for _, x := range micro {
			if _, err := acc.Exec(tensors.FromFlatDataAndDimensions(x, 6), tensors.FromScalar(float32(0.5))); err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				g[0][i] += 0.5 * 2 * float64(x[i]) * p[0][i]
			}
			for j := range 2 {
				g[1][j] += 0.5 * float64(x[4+j])
			}
		}
		wantNorm := clipRef(g, cfg.MaxNorm)
		lr := 0.01 * float64(step)
		norm, err := opt.Apply(lr, step)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(norm-wantNorm) > 1e-5*wantNorm {
			t.Errorf("step %d: grad norm %g, want %g", step, norm, wantNorm)
		}
		for i := range p {
			adamWRef(cfg, p[i], g[i], m[i], v[i], lr, step, vars[i].Decay)
		}
		for i, tv := range vars {
			for name, want := range map[string][]float64{"param": p[i], "m": m[i], "v": v[i]} {
				vr := map[string]*model.Variable{"param": tv.Var, "m": opt.m[i], "v": opt.v[i]}[name]
				got, _ := tensors.CopyFlatData[float32](vr.MustValue())
				for k := range want {
					if d := math.Abs(float64(got[k]) - want[k]); d > 1e-5*math.Max(1e-3, math.Abs(want[k])) {
						t.Errorf("step %d %s %s[%d] = %g, want %g", step, tv.Name, name, k, got[k], want[k])
					}
				}
			}
		}
		a, _ := tensors.CopyFlatData[float32](opt.acc[0].MustValue())
		if a[0] != 0 || a[3] != 0 {
			t.Errorf("step %d: accumulators not reset: %v", step, a)
		}
	}
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	b := backend.MustOpenGo()
	mk := func() (*Optimizer, *model.Variable) {
		store := model.NewStore()
		v, _ := store.CreateVariable("/w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 3))
		o, err := New(b, store, []TrainVar{{Name: "w", Var: v}}, DefaultAdamW())
		if err != nil {
			t.Fatal(err)
		}
		return o, v
	}
	a, _ := mk()
	a.m[0].MustSetValue(tensors.FromFlatDataAndDimensions([]float32{0.1, 0.2, 0.3}, 3))
	a.v[0].MustSetValue(tensors.FromFlatDataAndDimensions([]float32{4, 5, 6}, 3))
	var buf bytesBuffer
	if err := a.WriteState(&buf); err != nil {
		t.Fatal(err)
	}
	c, _ := mk()
	if err := c.LoadState(buf.b); err != nil {
		t.Fatal(err)
	}
	got, _ := tensors.CopyFlatData[float32](c.v[0].MustValue())
	if got[2] != 6 {
		t.Errorf("v after round trip = %v", got)
	}
	if err := c.LoadState(buf.b[:len(buf.b)-4]); err == nil {
		t.Error("truncated optimizer state accepted")
	}
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func TestSchedule(t *testing.T) {
	tests := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"warm-up starts at 0", Schedule{Peak: 1, Warmup: 10, Total: 100, Kind: "cosine"}, 0, 0},
		{"warm-up linear", Schedule{Peak: 1, Warmup: 10, Total: 100, Kind: "cosine"}, 5, 0.5},
		{"peak after warm-up", Schedule{Peak: 2, Warmup: 10, Total: 100, Kind: "cosine"}, 10, 2},
		{"cosine midpoint", Schedule{Peak: 1, Warmup: 10, Total: 110, Kind: "cosine"}, 60, 0.5},
		{"cosine to min", Schedule{Peak: 1, Warmup: 0, Total: 100, MinRatio: 0.1, Kind: "cosine"}, 100, 0.1},
		{"cosine midpoint with min", Schedule{Peak: 1, Total: 100, MinRatio: 0.1, Kind: "cosine"}, 50, 0.55},
		{"constant", Schedule{Peak: 3, Warmup: 4, Total: 10, Kind: "constant"}, 9, 3},
		{"no warm-up", Schedule{Peak: 1, Total: 10, Kind: "cosine"}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tc.s.At(tc.step); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("At(%d) = %g, want %g", tc.step, got, tc.want)
			}
		})
	}
	if got := WarmupSteps(45, 0.1); got != 5 {
		t.Errorf("WarmupSteps(45, 0.1) = %d, want 5", got)
	}
	if err := (Schedule{Peak: 1, Total: 0, Kind: "cosine"}).Validate(); err == nil {
		t.Error("zero-step schedule accepted")
	}
}
