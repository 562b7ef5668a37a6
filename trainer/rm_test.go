package trainer

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/policy"
	"acecoder/rundir"
	"acecoder/trainer/optim"
)

// newTinyTrainer builds the trainer TrainRM would build for cfg.
func newTinyTrainer(t *testing.T, cfg configs.RM) *RMTrainer { return newTinyTrainerB(t, cfg) }

func newTinyTrainerB(t testing.TB, cfg configs.RM) *RMTrainer {
	t.Helper()
	ctx := context.Background()
	rm, err := LoadRMFromConfig(ctx, backend.MustOpenGo(), cfg.Model, cfg.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	rm.MaxLength, rm.BatchSize = cfg.MaxLength, 2*cfg.MicroBatchSize
	data, err := LoadRMData(ctx, cfg, rm, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := RMSettings{BatchSize: cfg.TrainBatchSize, MicroBatchSize: cfg.MicroBatchSize, Margin: cfg.Margin,
		HeadDropout: cfg.HeadDropout, Seed: cfg.Seed, Schedule: RMSchedule(cfg, len(data.Train))}
	tr, err := NewRMTrainer(rm, optim.FromConfig(cfg.Optim), s, data.Train, data.Eval)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// accumulate runs the accumulation graph once on the first micro-batch
// (scale 1, no dropout) and returns its outputs and the batch.
func accumulate(t *testing.T, tr *RMTrainer, n int) (loss float32, r []float32, idx []int) {
	t.Helper()
	idx = make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	b, margins, err := PairBatch(tr.Train, idx)
	if err != nil {
		t.Fatal(err)
	}
	d := tr.RM.Backbone.Config.HiddenSize
	keep := tensors.FromFlatDataAndDimensions(DropoutKeep(b.B, d, 0, 0, 0, 0), b.B, d)
	ids, pos, mask := b.Tensors()
	out, err := tr.accum.Exec(ids, pos, mask, keep, tensors.FromFlatDataAndDimensions(margins, len(margins)), tensors.FromScalar(float32(1)))
	if err != nil {
		t.Fatal(err)
	}
	r, _ = tensors.CopyFlatData[float32](out[3])
	return tensors.ToScalar[float32](out[0]), r, idx
}

func TestBTLossGraphMatchesPlainGo(t *testing.T) {
	for _, margin := range []float64{0, 0.3} {
		cfg := tinyRMConfig(t, t.TempDir(), propertyPairs(40, 1))
		cfg.Margin = margin
		tr := newTinyTrainer(t, cfg)
		// A larger head spreads the rewards so the loss is not ≈ log 2.
		w, _, _ := tr.RM.HeadParams()
		for i := range w {
			w[i] *= 200
		}
		if err := tr.RM.SetHead(w, 0.1); err != nil {
			t.Fatal(err)
		}
		// With a margin, each pair also gets its own (pair_margins).
		pm := make([]float32, 8)
		for i := range pm {
			if margin > 0 {
				pm[i] = 0.1 * float32(i)
				tr.Train[i].Margin = pm[i]
			}
		}
		loss, r, _ := accumulate(t, tr, 8)
		want, _, _ := BTLossHost(r[:8], r[8:], pm, margin)
		if math.Abs(float64(loss)-want) > 1e-5*math.Max(1, want) {
			t.Errorf("margin %g: graph loss %.7f, plain Go %.7f", margin, loss, want)
		}
		if math.Abs(want-math.Log(2)) < 1e-3 {
			t.Errorf("margin %g: loss %g ≈ log 2: rewards do not differ, the test is vacuous", margin, want)
		}
	}
}

func TestHeadGradientMatchesPlainGo(t *testing.T) {
	cfg := tinyRMConfig(t, t.TempDir(), propertyPairs(40, 2))
	cfg.Margin = 0.2
	tr := newTinyTrainer(t, cfg)
	w, _, _ := tr.RM.HeadParams()
	for i := range w {
		w[i] *= 100
	}
	if err := tr.RM.SetHead(w, 0); err != nil {
		t.Fatal(err)
	}
	const n = 8
	_, r, idx := accumulate(t, tr, n)
	// Plain Go: L = mean_i softplus(−(Δ_i − m)), Δ_i = (h_ci − h_ri)·w, so
	// ∂L/∂w = mean_i −σ(−(Δ_i − m))·(h_ci − h_ri) and ∂L/∂b = 0.
	d := tr.RM.Backbone.Config.HiddenSize
	gw := make([]float64, d)
	for k, i := range idx {
		hc := lastHidden(t, tr.RM.Backbone, tr.Train[i].Chosen)
		hr := lastHidden(t, tr.RM.Backbone, tr.Train[i].Rejected)
		delta := float64(r[k]) - float64(r[n+k])
		s := 1 / (1 + math.Exp(delta-cfg.Margin)) // σ(−(Δ − m))
		for j := range gw {
			gw[j] -= s * (float64(hc[j]) - float64(hr[j])) / n
		}
	}
	got := accumulated(t, tr, "v_head.summary.weight")
	var maxErr, scale float64
	for j := range gw {
		maxErr = math.Max(maxErr, math.Abs(float64(got[j])-gw[j]))
		scale = math.Max(scale, math.Abs(gw[j]))
	}
	if scale == 0 || maxErr > 1e-3*scale {
		t.Errorf("head weight gradient: max error %g (scale %g)", maxErr, scale)
	}
	if b := accumulated(t, tr, "v_head.summary.bias"); math.Abs(float64(b[0])) > 1e-6 {
		t.Errorf("head bias gradient %g, want 0 (the bias cancels in r_c − r_r)", b[0])
	}
}

func lastHidden(t *testing.T, m *policy.Model, ids []int32) []float32 {
	t.Helper()
	h, err := m.LastHidden(policy.LeftPad([][]int32{ids}, 0))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := tensors.CopyFlatData[float32](h)
	return v
}

func accumulated(t *testing.T, tr *RMTrainer, name string) []float32 {
	t.Helper()
	for i, tv := range tr.Opt.Vars {
		if tv.Name == name {
			v, err := tr.Opt.Accumulator(i).Value()
			if err != nil {
				t.Fatal(err)
			}
			out, _ := tensors.CopyFlatData[float32](v)
			return out
		}
	}
	t.Fatalf("no trainable %s", name)
	return nil
}

// TestLearnsPairProperty trains the tiny model on generated pairs and checks
// that held-out pair accuracy rises from about chance to at least 0.9.
func TestLearnsPairProperty(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 20 steps")
	}
	learnsPairProperty(t, 0)
}

// The same with LoRA adapters (rank 8) on a frozen backbone: the adapters
// and the value head learn the property.
func TestLearnsPairPropertyLoRA(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 20 steps")
	}
	learnsPairProperty(t, 8)
}

func learnsPairProperty(t *testing.T, loraRank int) {
	dir := t.TempDir()
	cfg := tinyRMConfig(t, dir, propertyPairs(400, 3))
	cfg.EvalSteps = 5
	if loraRank > 0 {
		cfg.Model.LoRARank, cfg.Model.LoRAAlpha = loraRank, float64(2*loraRank)
	}
	run := newRun(t, filepath.Join(dir, "run"))
	if err := TrainRM(context.Background(), cfg, run, RMRunOptions{Quiet: true, Backend: backend.MustOpenGo()}); err != nil {
		t.Fatal(err)
	}
	recs, err := rundir.ReadMetrics(filepath.Join(run.Dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var evals []float64
	for _, r := range recs {
		if a, ok := r["eval/accuracy"]; ok {
			evals = append(evals, a)
		}
	}
	t.Logf("held-out accuracy by evaluation: %v", evals)
	if len(evals) < 2 {
		t.Fatalf("%d evaluations logged", len(evals))
	}
	if first := evals[0]; first < 0.2 || first > 0.8 {
		t.Errorf("untrained held-out accuracy %.3f, want about chance", first)
	}
	if last := evals[len(evals)-1]; last < 0.9 {
		t.Errorf("trained held-out accuracy %.3f, want ≥ 0.9", last)
	}
	if _, err := os.Stat(filepath.Join(run.Dir, PolicyAdapterDir, "adapter_config.json")); (err == nil) != (loraRank > 0) {
		t.Errorf("adapter directory: %v with lora rank %d", err, loraRank)
	}
}
