package policy

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// loraModel is tiny-qwen2 with adapters on every projection whose B is
// random (fresh adapters have B = 0 and change nothing).
func loraModel(t *testing.T, targets []string) *Model {
	t.Helper()
	m := tinyModel(t, "tiny-qwen2", 21)
	if err := m.AddAdapters(LoRA{Rank: 4, Alpha: 8, Targets: targets}, 3); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range m.AdapterParams() {
		if p.IsA {
			continue
		}
		vals := make([]float32, p.Shape[0]*p.Shape[1])
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 0.05)
		}
		if err := m.SetAdapter(p.Name, vals); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestMergedWeightIsBasePlusScaledBA checks MergedWeight against a plain
// loop over W + (α/r)·B·A (contraction order reversed) for every target.
func TestMergedWeightIsBasePlusScaledBA(t *testing.T) {
	m := loraModel(t, nil)
	adapted := 0
	for _, p := range m.AdapterParams() {
		if !p.IsA {
			continue
		}
		adapted++
		w, shape, err := m.Weight(p.Linear + ".weight")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := flatVariable(m.AdapterVariable(p.Linear + ".lora_A.weight"))
		b, _ := flatVariable(m.AdapterVariable(p.Linear + ".lora_B.weight"))
		got, _, err := m.MergedWeight(p.Linear)
		if err != nil {
			t.Fatal(err)
		}
		out, in, r := shape[0], shape[1], 4
		for k := range r {
			for o := range out {
				for i := range in {
					w[o*in+i] += float32(2 * float64(b[o*r+k]) * float64(a[k*in+i])) // α/r = 8/4
				}
			}
		}
		for i := range w {
			if math.Abs(float64(w[i]-got[i])) > 1e-6 {
				t.Fatalf("%s[%d]: merged %g, want %g", p.Linear, i, got[i], w[i])
			}
		}
	}
	if want := 7 * m.Config.NumHiddenLayers; adapted != want {
		t.Errorf("%d adapted projections, want %d", adapted, want)
	}
}

// TestAdaptedLogitsEqualMerged: a model with adapters computes what the
// model with merged weights computes; with the adapters off it computes
// the base model.
func TestAdaptedLogitsEqualMerged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		targets []string
	}{{"all", nil}, {"attention only", []string{"q_proj", "v_proj"}}, {"mlp only", []string{"up_proj", "down_proj"}}} {
		t.Run(tc.name, func(t *testing.T) {
			m := loraModel(t, tc.targets)
			base := tinyModel(t, "tiny-qwen2", 21)
			merged := tinyModel(t, "tiny-qwen2", 21)
			for _, p := range m.AdapterParams() {
				if p.IsA {
					w, _, err := m.MergedWeight(p.Linear)
					if err != nil {
						t.Fatal(err)
					}
					if err := merged.SetWeight(p.Linear+".weight", w); err != nil {
						t.Fatal(err)
					}
				}
			}
			b := LeftPad(mixedSeqs([]int{9, 5}, m.Config.VocabSize, 4), 0)
			got := logProbs(t, m.TemperedLogProbs, b)
			checkClose(t, "adapted vs merged", got, logProbs(t, merged.TemperedLogProbs, b), 2e-5)
			checkClose(t, "adapters off vs base", logProbs(t, m.BaseTemperedLogProbs, b), logProbs(t, base.TemperedLogProbs, b), 0)
			if maxDiff(got, logProbs(t, base.TemperedLogProbs, b)) < 1e-3 {
				t.Error("the adapters change nothing; the test would not see them")
			}
		})
	}
}

func logProbs(t *testing.T, f func(Batch, float64) (*tensors.Tensor, error), b Batch) []float32 {
	t.Helper()
	out, err := f(b, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out)
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func checkClose(t *testing.T, what string, a, b []float32, tol float64) {
	t.Helper()
	if d := maxDiff(a, b); d > tol {
		t.Errorf("%s: max difference %.3g > %.3g", what, d, tol)
	}
}

// TestAdaptersRoundTripAndMerge: adapters saved in PEFT's format load into
// a fresh copy of the base model and give the same log-probs; merging
// gives a plain model with the same log-probs that Save/Load round-trips;
// a file missing a matrix or holding a stray one is refused whole.
func TestAdaptersRoundTripAndMerge(t *testing.T) {
	ctx := t.Context()
	m := loraModel(t, []string{"q_proj", "down_proj"})
	b := LeftPad(mixedSeqs([]int{7, 4}, m.Config.VocabSize, 8), 0)
	want := logProbs(t, m.TemperedLogProbs, b)
	dir := t.TempDir()
	if err := m.SaveAdapters(ctx, dir, "tiny-qwen2"); err != nil {
		t.Fatal(err)
	}
	back := tinyModel(t, "tiny-qwen2", 21)
	if err := back.LoadAdapters(ctx, dir); err != nil {
		t.Fatal(err)
	}
	checkClose(t, "reloaded adapters", logProbs(t, back.TemperedLogProbs, b), want, 0)

	if err := back.MergeAdapters(); err != nil {
		t.Fatal(err)
	}
	if back.Decoder.LoRA != nil {
		t.Fatal("adapters still on after merging")
	}
	checkClose(t, "merged", logProbs(t, back.TemperedLogProbs, b), want, 2e-5)
	full := t.TempDir()
	if err := back.Save(ctx, full, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(ctx, testBackend(t), full, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "merged, saved and loaded", logProbs(t, loaded.TemperedLogProbs, b), want, 2e-5)

	// A directory whose file lacks one matrix and has a stray one.
	bad := t.TempDir()
	other := loraModel(t, []string{"q_proj"})
	if err := other.SaveAdapters(ctx, bad, "x"); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, AdapterConfigFile))
	os.WriteFile(filepath.Join(bad, AdapterConfigFile), cfg, 0o644) // says q_proj and down_proj
	fresh := tinyModel(t, "tiny-qwen2", 21)
	err = fresh.LoadAdapters(ctx, bad)
	var le *LoadError
	if !errors.As(err, &le) || len(le.Missing) == 0 {
		t.Fatalf("err = %v, want a LoadError listing the missing down_proj adapters", err)
	}
	if fresh.Decoder.LoRA != nil {
		t.Error("a failed load left adapters on the model")
	}
}

// TestSaveWritesMergedWeights: Save of a model with adapters writes the
// merged weights (a plain model that computes what the adapted one does)
// and leaves the model's adapters on.
func TestSaveWritesMergedWeights(t *testing.T) {
	ctx := t.Context()
	m := loraModel(t, []string{"q_proj", "down_proj"})
	b := LeftPad(mixedSeqs([]int{7, 4}, m.Config.VocabSize, 8), 0)
	want := logProbs(t, m.TemperedLogProbs, b)
	dir := t.TempDir()
	if err := m.Save(ctx, dir, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if m.Decoder.LoRA == nil {
		t.Fatal("Save took the adapters off")
	}
	checkClose(t, "adapted after saving", logProbs(t, m.TemperedLogProbs, b), want, 0)
	loaded, err := Load(ctx, testBackend(t), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Decoder.LoRA != nil {
		t.Fatal("the saved directory loads with adapters")
	}
	checkClose(t, "saved merged and loaded", logProbs(t, loaded.TemperedLogProbs, b), want, 2e-5)
}

// TestAdapterGradientDirectional: the analytic gradient of LMLoss with
// respect to the adapter matrices (in a graph marked ForGradients, as
// training builds it) matches a central finite difference along a random
// direction through all of them.
func TestAdapterGradientDirectional(t *testing.T) {
	m := loraModel(t, nil)
	b := LeftPad(mixedSeqs([]int{8, 5}, m.Config.VocabSize, 2), 0)
	ps := m.AdapterParams()
	lossAndGrads := func() (float64, [][]float32) {
		out, err := m.run("test-adapter-grads", func(_ *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			ForGradients(g)
			var ws []*Node
			for _, p := range ps {
				ws = append(ws, m.Decoder.adapterWeight(g, p.Name))
			}
			loss := m.Decoder.LMLoss(in[0], in[1], in[2])
			return append([]*Node{loss}, Gradient(loss, ws...)...)
		}, must3(b.tensors())...)
		if err != nil {
			t.Fatal(err)
		}
		var grads [][]float32
		for i := range ps {
			grads = append(grads, flat32(t, out[1+i]))
		}
		return float64(tensors.ToScalar[float32](out[0])), grads
	}
	_, grads := lossAndGrads()
	rng := rand.New(rand.NewPCG(3, 4))
	orig, dir := make([][]float32, len(ps)), make([][]float64, len(ps))
	analytic := 0.0
	for i, p := range ps {
		v, err := flatVariable(m.AdapterVariable(p.Name))
		if err != nil {
			t.Fatal(err)
		}
		orig[i] = v
		for j := range v {
			d := rng.NormFloat64()
			dir[i] = append(dir[i], d)
			analytic += d * float64(grads[i][j])
		}
	}
	const eps = 1e-3
	lossAt := func(sign float64) float64 {
		for i, p := range ps {
			w := make([]float32, len(orig[i]))
			for j := range w {
				w[j] = float32(float64(orig[i][j]) + sign*eps*dir[i][j])
			}
			if err := m.SetAdapter(p.Name, w); err != nil {
				t.Fatal(err)
			}
		}
		l, _ := lossAndGrads()
		return l
	}
	numeric := (lossAt(1) - lossAt(-1)) / (2 * eps)
	if math.Abs(numeric-analytic) > 0.02*math.Abs(analytic) {
		t.Errorf("directional derivative: analytic %.5f, finite difference %.5f", analytic, numeric)
	}
	t.Logf("directional derivative: analytic %.5f, finite difference %.5f", analytic, numeric)
}
