package trainer

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/backend"
)

// plainPolicyLoss is the PPO clipped loss written as loops.
func plainPolicyLoss(logp, old, adv, mask [][]float32, eps float64) (loss, clipFrac float64) {
	clipped, valid := 0.0, 0.0
	for b := range logp {
		num, den := 0.0, 0.0
		for t := range logp[b] {
			if mask[b][t] == 0 {
				continue
			}
			r := math.Exp(float64(logp[b][t] - old[b][t]))
			a := float64(adv[b][t])
			rc := math.Max(1-eps, math.Min(1+eps, r))
			num += -math.Min(r*a, rc*a)
			den++
			if math.Abs(r-1) > eps {
				clipped++
			}
			valid++
		}
		loss += num / math.Max(den, 1)
	}
	return loss / float64(len(logp)), clipped / valid
}

func TestPolicyLossMatchesPlainLoop(t *testing.T) {
	logp := [][]float32{{-1, -2, -0.5, 0}, {-0.1, -3, 0, 0}, {-0.7, -0.2, -1.2, -2}}
	old := [][]float32{{-1.3, -1.9, -0.5, 5}, {-0.5, -2, 0, 0}, {-0.7, -0.25, -0.9, -1}}
	adv := [][]float32{{1, -0.5, 2, 9}, {-1, 0.3, 0, 0}, {0.5, 0.5, -2, 1}}
	mask := [][]float32{{1, 1, 1, 0}, {1, 1, 0, 0}, {1, 1, 1, 1}}
	b := backend.MustOpenGo()
	out, err := graph.ExecOnceN(b, func(lp, o, a, m *graph.Node) (*graph.Node, *graph.Node) {
		return PolicyLoss(lp, o, a, m, 0.2, SeqMeanTokenMean)
	}, tensors.FromValue(logp), tensors.FromValue(old), tensors.FromValue(adv), tensors.FromValue(mask))
	if err != nil {
		t.Fatal(err)
	}
	wantLoss, wantFrac := plainPolicyLoss(logp, old, adv, mask, 0.2)
	if got := float64(tensors.ToScalar[float32](out[0])); math.Abs(got-wantLoss) > 1e-5 {
		t.Errorf("loss = %v, want %v", got, wantLoss)
	}
	if got := float64(tensors.ToScalar[float32](out[1])); math.Abs(got-wantFrac) > 1e-6 {
		t.Errorf("clip fraction = %v, want %v", got, wantFrac)
	}
}

// The gradient of the clipped loss w.r.t. logp is −ρA/n_b/B where the
// unclipped branch is active and 0 where the clip is.
func TestPolicyLossGradient(t *testing.T) {
	logp := [][]float32{{0.5, 0, 0.05}}
	old := [][]float32{{0, 0, 0}}
	adv := [][]float32{{1, -1, 2}}
	mask := [][]float32{{1, 1, 1}}
	out, err := graph.ExecOnce(backend.MustOpenGo(), func(lp, o, a, m *graph.Node) *graph.Node {
		loss, _ := PolicyLoss(lp, o, a, m, 0.2, SeqMeanTokenMean)
		return graph.Gradient(loss, lp)[0]
	}, tensors.FromValue(logp), tensors.FromValue(old), tensors.FromValue(adv), tensors.FromValue(mask))
	if err != nil {
		t.Fatal(err)
	}
	got := out.Value().([][]float32)[0]
	// token 0: ρ = e^0.5 > 1.2 and A > 0 → clipped, gradient 0.
	// token 1: ρ = 1, A = −1 → −ρA/3 = 1/3.
	// token 2: ρ = e^0.05 inside → −ρ·2/3.
	want := []float64{0, 1.0 / 3, -math.Exp(0.05) * 2 / 3}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5 {
			t.Errorf("d loss / d logp[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestKLPenaltyMatchesPlainLoop(t *testing.T) {
	logp := [][]float32{{-1, -2, 0}, {-0.1, -0.3, -0.2}}
	ref := [][]float32{{-1.5, -1, 7}, {-0.2, -0.1, -0.9}}
	mask := [][]float32{{1, 1, 0}, {1, 1, 1}}
	for _, est := range []KLEstimator{K1, K3} {
		out, err := graph.ExecOnce(backend.MustOpenGo(), func(lp, r, m *graph.Node) *graph.Node {
			return KLPenalty(lp, r, m, est, SeqMeanTokenMean)
		}, tensors.FromValue(logp), tensors.FromValue(ref), tensors.FromValue(mask))
		if err != nil {
			t.Fatal(err)
		}
		lp64 := [][]float64{{-1, -2, 0}, {-0.1, -0.3, -0.2}}
		ref64 := [][]float64{{-1.5, -1, 7}, {-0.2, -0.1, -0.9}}
		bm := [][]bool{{true, true, false}, {true, true, true}}
		kl := TokenKL(lp64, ref64, bm, est)
		want := ((kl[0][0]+kl[0][1])/2 + (kl[1][0]+kl[1][1]+kl[1][2])/3) / 2
		if got := float64(tensors.ToScalar[float32](out)); math.Abs(got-want) > 1e-5 {
			t.Errorf("%s: KL penalty = %v, want %v", est, got, want)
		}
	}
}

func TestBradleyTerryLossMatchesPlainGo(t *testing.T) {
	rc := []float32{1.5, -0.2, 3, 0}
	rr := []float32{0.5, 0.3, -1, 0}
	for _, margin := range []float64{0, 0.5} {
		out, err := graph.ExecOnceN(backend.MustOpenGo(), func(c, r *graph.Node) (*graph.Node, *graph.Node, *graph.Node) {
			return BradleyTerryLoss(c, r, margin)
		}, tensors.FromValue(rc), tensors.FromValue(rr))
		if err != nil {
			t.Fatal(err)
		}
		loss, acc, delta := 0.0, 0.0, 0.0
		for i := range rc {
			d := float64(rc[i] - rr[i])
			loss += -math.Log(1 / (1 + math.Exp(-(d - margin))))
			if d > 0 {
				acc++
			}
			delta += d
		}
		n := float64(len(rc))
		got := []float32{tensors.ToScalar[float32](out[0]), tensors.ToScalar[float32](out[1]), tensors.ToScalar[float32](out[2])}
		want := []float64{loss / n, acc / n, delta / n}
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-5 {
				t.Errorf("margin %v output %d = %v, want %v", margin, i, got[i], want[i])
			}
		}
	}
}

// d loss / d r_chosen_i = −σ(−Δ_i)/N, checked against central differences.
func TestBradleyTerryGradient(t *testing.T) {
	rc := []float32{1.5, -0.2, 3}
	rr := []float32{0.5, 0.3, -1}
	out, err := graph.ExecOnce(backend.MustOpenGo(), func(c, r *graph.Node) *graph.Node {
		loss, _, _ := BradleyTerryLoss(c, r, 0)
		return graph.Gradient(loss, c)[0]
	}, tensors.FromValue(rc), tensors.FromValue(rr))
	if err != nil {
		t.Fatal(err)
	}
	got := out.Value().([]float32)
	f := func(c []float64) float64 {
		s := 0.0
		for i := range c {
			s += math.Log1p(math.Exp(-(c[i] - float64(rr[i]))))
		}
		return s / float64(len(c))
	}
	for i := range rc {
		c := []float64{float64(rc[0]), float64(rc[1]), float64(rc[2])}
		h := 1e-5
		c[i] += h
		up := f(c)
		c[i] -= 2 * h
		down := f(c)
		num := (up - down) / (2 * h)
		if math.Abs(float64(got[i])-num) > 1e-4 {
			t.Errorf("grad[%d] = %v, numeric %v", i, got[i], num)
		}
	}
}

// plainTokenMean is the token-mean PPO loss written as loops: every valid
// token of the micro-batch weighs the same.
func plainTokenMean(logp, old, adv, mask [][]float32, eps float64) float64 {
	num, den := 0.0, 0.0
	for b := range logp {
		for t := range logp[b] {
			if mask[b][t] == 0 {
				continue
			}
			r := math.Exp(float64(logp[b][t] - old[b][t]))
			a := float64(adv[b][t])
			num += -math.Min(r*a, math.Max(1-eps, math.Min(1+eps, r))*a)
			den++
		}
	}
	return num / math.Max(den, 1)
}

func TestPolicyLossTokenMeanMatchesPlainLoop(t *testing.T) {
	logp := [][]float32{{-1, -2, -0.5, 0}, {-0.1, -3, 0, 0}, {-0.7, -0.2, -1.2, -2}, {0, 0, 0, 0}}
	old := [][]float32{{-1.3, -1.9, -0.5, 5}, {-0.5, -2, 0, 0}, {-0.7, -0.25, -0.9, -1}, {0, 0, 0, 0}}
	adv := [][]float32{{1, -0.5, 2, 9}, {-1, 0.3, 0, 0}, {0.5, 0.5, -2, 1}, {0, 0, 0, 0}}
	mask := [][]float32{{1, 1, 1, 0}, {1, 1, 0, 0}, {1, 1, 1, 1}, {0, 0, 0, 0}} // last row: padding
	out, err := graph.ExecOnceN(backend.MustOpenGo(), func(lp, o, a, m *graph.Node) (*graph.Node, *graph.Node) {
		loss, _ := PolicyLoss(lp, o, a, m, 0.2, TokenMean)
		return loss, KLPenalty(lp, o, m, K1, TokenMean)
	}, tensors.FromValue(logp), tensors.FromValue(old), tensors.FromValue(adv), tensors.FromValue(mask))
	if err != nil {
		t.Fatal(err)
	}
	want := plainTokenMean(logp, old, adv, mask, 0.2)
	if got := float64(tensors.ToScalar[float32](out[0])); math.Abs(got-want) > 1e-5 {
		t.Errorf("token-mean loss = %v, want %v", got, want)
	}
	// k1 token mean over the 9 valid tokens: Σ(logp − old) / 9.
	kl := 0.0
	for b := range logp {
		for i := range logp[b] {
			if mask[b][i] != 0 {
				kl += float64(logp[b][i] - old[b][i])
			}
		}
	}
	if got := float64(tensors.ToScalar[float32](out[1])); math.Abs(got-kl/9) > 1e-5 {
		t.Errorf("token-mean k1 = %v, want %v", got, kl/9)
	}
	seq, _ := plainPolicyLoss(logp[:3], old[:3], adv[:3], mask[:3], 0.2)
	if math.Abs(seq-want) < 1e-3 {
		t.Errorf("the two aggregations should differ on sequences of unequal length (%v, %v)", seq, want)
	}
}
