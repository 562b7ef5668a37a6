package policy

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// lossAndGradsRecomputed is lossAndGrads (marked) with the layers
// recomputed in the backward pass (RecomputeLayers).
func (m *Model) lossAndGradsRecomputed(t *testing.T, b Batch) (float64, map[string][]float32) {
	t.Helper()
	return m.lossAndGradsAs(t, b, "test-grads-recomputed", true, true)
}

// lossAndGrads returns LMLoss and its gradient per weight; marked tells
// whether the graph is marked ForGradients (the layouts training uses).
func (m *Model) lossAndGrads(t *testing.T, b Batch, marked bool) (float64, map[string][]float32) {
	t.Helper()
	key := "test-grads"
	if marked {
		key += "-marked"
	}
	return m.lossAndGradsAs(t, b, key, marked, false)
}

// lossAndGradsAs builds (once per key) and runs the graph of LMLoss and its
// gradients, marked ForGradients and with recomputed layers as asked.
func (m *Model) lossAndGradsAs(t *testing.T, b Batch, key string, marked, recompute bool) (float64, map[string][]float32) {
	t.Helper()
	params := m.Config.Params()
	out, err := m.run(key, func(_ *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		if marked {
			ForGradients(g)
		}
		m.Decoder.RecomputeLayers = recompute
		defer func() { m.Decoder.RecomputeLayers = false }()
		var ws []*Node
		for _, p := range params {
			ws = append(ws, m.Decoder.weight(g, p.Name))
		}
		loss := m.Decoder.LMLoss(in[0], in[1], in[2])
		return append([]*Node{loss}, Gradient(loss, ws...)...)
	}, must3(b.tensors())...)
	if err != nil {
		t.Fatal(err)
	}
	grads := map[string][]float32{}
	for i, p := range params {
		grads[p.Name] = flat32(t, out[1+i])
	}
	return float64(tensors.ToScalar[float32](out[0])), grads
}

func must3(a, b, c *tensors.Tensor, err error) []any {
	if err != nil {
		panic(err)
	}
	return []any{a, b, c}
}

// TestGradientDirectional compares the analytic gradient of LMLoss with a
// central finite difference along a random direction through all weights,
// checks every weight receives a gradient, and that graphs marked
// ForGradients (other dense layouts) give the same gradients.
func TestGradientDirectional(t *testing.T) {
	for _, name := range []string{"tiny-qwen2", "tiny-llama", "tiny-qwen3"} {
		t.Run(name, func(t *testing.T) {
			m := tinyModel(t, name, 11)
			b := LeftPad(mixedSeqs([]int{8, 5}, m.Config.VocabSize, 2), 0)
			_, grads := m.lossAndGrads(t, b, true)
			_, plain := m.lossAndGrads(t, b, false)
			_, recomputed := m.lossAndGradsRecomputed(t, b)
			for _, p := range m.Config.Params() {
				if d := maxDiff(grads[p.Name], recomputed[p.Name]); d > 1e-6 {
					t.Fatalf("%s: gradients with recomputed layers differ by %.3g", p.Name, d)
				}
			}
			for _, p := range m.Config.Params() {
				for i := range grads[p.Name] {
					if d := math.Abs(float64(grads[p.Name][i] - plain[p.Name][i])); d > 1e-5+1e-4*math.Abs(float64(plain[p.Name][i])) {
						t.Fatalf("%s[%d]: gradient %g with ForGradients, %g without", p.Name, i, grads[p.Name][i], plain[p.Name][i])
					}
				}
			}
			orig := map[string][]float32{}
			dir := map[string][]float64{}
			rng := rand.New(rand.NewPCG(1, 2))
			analytic := 0.0
			for _, p := range m.Config.Params() {
				w, _, _ := m.Weight(p.Name)
				orig[p.Name] = w
				nonzero := false
				for i := range w {
					d := rng.NormFloat64()
					dir[p.Name] = append(dir[p.Name], d)
					analytic += d * float64(grads[p.Name][i])
					nonzero = nonzero || grads[p.Name][i] != 0
				}
				if !nonzero {
					t.Errorf("%s gets no gradient", p.Name)
				}
			}
			const eps = 1e-3
			lossAt := func(sign float64) float64 {
				for _, p := range m.Config.Params() {
					w := make([]float32, len(orig[p.Name]))
					for i := range w {
						w[i] = float32(float64(orig[p.Name][i]) + sign*eps*dir[p.Name][i])
					}
					if err := m.SetWeight(p.Name, w); err != nil {
						t.Fatal(err)
					}
				}
				l, _ := m.lossAndGrads(t, b, false)
				return l
			}
			numeric := (lossAt(1) - lossAt(-1)) / (2 * eps)
			if math.Abs(numeric-analytic) > 0.02*math.Abs(analytic) {
				t.Errorf("directional derivative: analytic %.5f, finite difference %.5f", analytic, numeric)
			}
			t.Logf("directional derivative: analytic %.5f, finite difference %.5f", analytic, numeric)
		})
	}
}
