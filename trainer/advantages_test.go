package trainer

import (
	"math"
	"testing"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// A batch of 4 samples (2 prompts × 2), right-padded to 3 tokens.
var (
	testMask = [][]bool{
		{true, true, true},
		{true, false, false},
		{true, true, false},
		{true, true, true},
	}
	testLogp = [][]float64{{-1, -2, -0.5}, {-0.1, 9, 9}, {-3, -1, 9}, {-0.2, -0.3, -0.4}}
	testRef  = [][]float64{{-1.5, -1, -0.5}, {-0.2, 0, 0}, {-2, -2, 0}, {-0.2, -0.1, -1}}
)

func TestTokenKLByHand(t *testing.T) {
	k1 := TokenKL(testLogp, testRef, testMask, K1)
	want := [][]float64{{0.5, -1, 0}, {0.1, 0, 0}, {-1, 1, 0}, {0, -0.2, 0.6}}
	for b := range want {
		for i := range want[b] {
			if !near(k1[b][i], want[b][i]) {
				t.Errorf("k1[%d][%d] = %v, want %v", b, i, k1[b][i], want[b][i])
			}
		}
	}
	k3 := TokenKL(testLogp, testRef, testMask, K3)
	// k3 at d = logp − ref: exp(−d) + d − 1.
	if got, want := k3[0][0], math.Exp(-0.5)+0.5-1; !near(got, want) {
		t.Errorf("k3[0][0] = %v, want %v", got, want)
	}
	if k3[1][1] != 0 || k3[2][2] != 0 {
		t.Error("k3 must be 0 at padding")
	}
	for b := range k3 {
		for i := range k3[b] {
			if k3[b][i] < 0 {
				t.Errorf("k3[%d][%d] = %v < 0", b, i, k3[b][i])
			}
		}
	}
}

func TestNormalizeRewards(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want []float64
	}{
		{"empty", nil, []float64{}},
		{"all equal", []float64{2, 2, 2}, []float64{0, 0, 0}},
		// mean 2, population std 1
		{"two values", []float64{1, 3}, []float64{-1, 1}},
		// mean 0, population std sqrt(2/3)
		{"three values", []float64{-1, 0, 1}, []float64{-1 / math.Sqrt(2.0/3), 0, 1 / math.Sqrt(2.0/3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := NormalizeRewards(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("len %d, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-6 {
					t.Errorf("[%d] = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// With NormalizeReward, rewards on another scale and offset give the same
// advantages: only their z-scores reach the update.
func TestAdvantagesNormalizedRewardsIgnoreScale(t *testing.T) {
	in := AdvantageInputs{LogProbs: testLogp, RefLogProbs: testRef, Mask: testMask, Rewards: []float64{1, 0, 0.5, 0.25}, GroupSize: 2}
	opts := AdvantageOptions{Estimator: Reinforce, KL: K1, Beta: 0.1, Gamma: 1, ClipLo: -10, ClipHi: 10, NormalizeReward: true}
	a, _, err := Advantages(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	in.Rewards = []float64{7, -3, 2, -0.5} // 10·R − 3
	b, _, err := Advantages(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for j := range a[i] {
			if math.Abs(a[i][j]-b[i][j]) > 1e-6 {
				t.Errorf("adv[%d][%d] = %v and %v", i, j, a[i][j], b[i][j])
			}
		}
	}
	opts.NormalizeReward = false
	c, _, _ := Advantages(in, opts)
	if math.Abs(c[0][0]-b[0][0]) < 1e-6 {
		t.Error("without NormalizeReward the scale should change the advantages")
	}
}

func TestBaselineRewardsByHand(t *testing.T) {
	r := []float64{1, 0, 0.5, 0.5, 1, 1}
	tests := []struct {
		est  Estimator
		n    int
		want []float64
	}{
		{Reinforce, 2, []float64{1, 0, 0.5, 0.5, 1, 1}},
		{ReinforceBaseline, 2, []float64{0.5, -0.5, 0, 0, 0, 0}},
		{RLOO, 3, []float64{0.75, -0.75, 0, -0.5, 0.25, 0.25}},
		{GRPO, 3, nil}, // filled in below
	}
	// GRPO groups: {1, 0, 0.5} has mean 0.5 and unbiased std 0.5; {0.5, 1, 1} below.
	g2 := []float64{0.5, 1, 1}
	m := (0.5 + 1 + 1) / 3
	sd := math.Sqrt(((0.5-m)*(0.5-m) + 2*(1-m)*(1-m)) / 2)
	tests[3].want = []float64{1 / (0.5 + 1e-9) * 0.5, -0.5 / (0.5 + 1e-9), 0, (g2[0] - m) / (sd + 1e-9), (g2[1] - m) / (sd + 1e-9), (g2[2] - m) / (sd + 1e-9)}
	for _, tc := range tests {
		t.Run(string(tc.est), func(t *testing.T) {
			got, err := BaselineRewards(r, tc.n, tc.est)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-6 {
					t.Errorf("[%d] = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if _, err := BaselineRewards(r, 4, RLOO); err == nil {
		t.Error("6 rewards in groups of 4 must be an error")
	}
	if _, err := BaselineRewards(r[:2], 1, GRPO); err == nil {
		t.Error("grpo with one sample per prompt must be an error")
	}
}

func TestTokenRewardsAndReturnsByHand(t *testing.T) {
	kl := [][]float64{{0.5, -1, 0}, {0.1, 0, 0}}
	mask := testMask[:2]
	r := TokenRewards(kl, mask, []float64{20, -0.5}, 0.1, -10, 10)
	want := [][]float64{{-0.05, 0.1, 10}, {-0.01 - 0.5, 0, 0}}
	for b := range want {
		for i := range want[b] {
			if !near(r[b][i], want[b][i]) {
				t.Errorf("r[%d][%d] = %v, want %v", b, i, r[b][i], want[b][i])
			}
		}
	}
	g := Returns(r, mask, 0.5)
	wantG := [][]float64{{-0.05 + 0.5*0.1 + 0.25*10, 0.1 + 0.5*10, 10}, {-0.51, 0, 0}}
	for b := range wantG {
		for i := range wantG[b] {
			if !near(g[b][i], wantG[b][i]) {
				t.Errorf("G[%d][%d] = %v, want %v", b, i, g[b][i], wantG[b][i])
			}
		}
	}
}

// plainAdvantages recomputes Reinforce++ advantages by the definitions, one
// token at a time, as a reference for Advantages.
func plainAdvantages(logp, ref [][]float64, mask [][]bool, R []float64, beta, gamma float64) [][]float64 {
	var vals []float64
	G := make([][]float64, len(logp))
	for b := range logp {
		G[b] = make([]float64, len(logp[b]))
		last := -1
		for t := range mask[b] {
			if mask[b][t] {
				last = t
			}
		}
		for t := range logp[b] {
			if !mask[b][t] {
				continue
			}
			sum := 0.0
			for u := t; u < len(logp[b]); u++ {
				if !mask[b][u] {
					continue
				}
				ru := -beta * (logp[b][u] - ref[b][u])
				if u == last {
					ru += math.Max(-10, math.Min(10, R[b]))
				}
				sum += math.Pow(gamma, float64(u-t)) * ru
			}
			G[b][t] = sum
			vals = append(vals, sum)
		}
	}
	mean := 0.0
	for _, v := range vals {
		mean += v
	}
	mean /= float64(len(vals))
	variance := 0.0
	for _, v := range vals {
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(len(vals))
	for b := range G {
		for t := range G[b] {
			if mask[b][t] {
				G[b][t] = (G[b][t] - mean) / math.Sqrt(variance+1e-8)
			}
		}
	}
	return G
}

func TestAdvantagesMatchPlainLoop(t *testing.T) {
	R := []float64{1, 0.2, 0.7, 0}
	for _, gamma := range []float64{1, 0.9} {
		adv, _, err := Advantages(AdvantageInputs{LogProbs: testLogp, RefLogProbs: testRef, Mask: testMask, Rewards: R, GroupSize: 2},
			AdvantageOptions{Estimator: Reinforce, KL: K1, Beta: 0.01, Gamma: gamma, ClipLo: -10, ClipHi: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := plainAdvantages(testLogp, testRef, testMask, R, 0.01, gamma)
		for b := range want {
			for i := range want[b] {
				if math.Abs(adv[b][i]-want[b][i]) > 1e-9 {
					t.Errorf("gamma %v adv[%d][%d] = %v, want %v", gamma, b, i, adv[b][i], want[b][i])
				}
			}
		}
	}
	// Whitened: mean 0, variance 1 over valid tokens; zero at padding.
	adv, _, _ := Advantages(AdvantageInputs{LogProbs: testLogp, RefLogProbs: testRef, Mask: testMask, Rewards: R, GroupSize: 2},
		AdvantageOptions{Estimator: ReinforceBaseline, KL: K1, Beta: 0.01, Gamma: 1, ClipLo: -10, ClipHi: 10})
	sum, ss, n := 0.0, 0.0, 0.0
	for b := range adv {
		for i := range adv[b] {
			if testMask[b][i] {
				sum += adv[b][i]
				ss += adv[b][i] * adv[b][i]
				n++
			} else if adv[b][i] != 0 {
				t.Errorf("padding adv[%d][%d] = %v", b, i, adv[b][i])
			}
		}
	}
	if math.Abs(sum/n) > 1e-9 || math.Abs(ss/n-1) > 1e-6 {
		t.Errorf("whitened mean %v, second moment %v", sum/n, ss/n)
	}
}

func TestKLInLossLeavesRewardUnpenalised(t *testing.T) {
	R := []float64{1, 0, 1, 0}
	adv, _, err := Advantages(AdvantageInputs{LogProbs: testLogp, RefLogProbs: testRef, Mask: testMask, Rewards: R, GroupSize: 2},
		AdvantageOptions{Estimator: GRPO, KL: K1, Beta: 0.5, KLInLoss: true, Gamma: 1, ClipLo: -10, ClipHi: 10})
	if err != nil {
		t.Fatal(err)
	}
	// GRPO, no KL in the reward: every valid token carries its group-normalised reward.
	for b := range adv {
		want := 1 / (math.Sqrt(0.5) + 1e-9) * 0.5
		if R[b] == 0 {
			want = -want
		}
		for i := range adv[b] {
			if testMask[b][i] && math.Abs(adv[b][i]-want) > 1e-9 {
				t.Errorf("adv[%d][%d] = %v, want %v", b, i, adv[b][i], want)
			}
		}
	}
}

// RLOO advantages are whitened as the fork's OpenRLHF whitens every
// estimator. Hand-worked with no KL and γ = 1: rewards [1, 0 | 0.5, 0.5]
// give leave-one-out values [1, −1, 0, 0] on every token of each sample
// (lengths 3, 1, 2, 3); over the 9 tokens the mean is 2/9 and the
// population std 4√2/9.
func TestRLOOWhitenedByHand(t *testing.T) {
	in := AdvantageInputs{LogProbs: testLogp, RefLogProbs: testRef, Mask: testMask, Rewards: []float64{1, 0, 0.5, 0.5}, GroupSize: 2}
	adv, _, err := Advantages(in, AdvantageOptions{Estimator: RLOO, KL: K1, Beta: 0, Gamma: 1, ClipLo: -10, ClipHi: 10})
	if err != nil {
		t.Fatal(err)
	}
	s := 4 * math.Sqrt2
	want := []float64{7 / s, -11 / s, -2 / s, -2 / s}
	for b := range adv {
		for i := range adv[b] {
			w := 0.0
			if testMask[b][i] {
				w = want[b]
			}
			if math.Abs(adv[b][i]-w) > 1e-6 {
				t.Errorf("adv[%d][%d] = %v, want %v", b, i, adv[b][i], w)
			}
		}
	}
}

// group_norm is later OpenRLHF's name of grpo: the same advantages, not
// whitened.
func TestGroupNormIsGRPO(t *testing.T) {
	in := AdvantageInputs{LogProbs: testLogp, RefLogProbs: testRef, Mask: testMask, Rewards: []float64{1, 0, 0.5, 0.25}, GroupSize: 2}
	opts := AdvantageOptions{Estimator: GRPO, KL: K1, Beta: 0.1, Gamma: 1, ClipLo: -10, ClipHi: 10}
	a, _, err := Advantages(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Estimator = GroupNorm
	b, _, err := Advantages(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("adv[%d][%d]: grpo %v, group_norm %v", i, j, a[i][j], b[i][j])
			}
		}
	}
}

func TestRewardMomentsByHand(t *testing.T) {
	m := RewardMoments{}.Add([]float64{1, 3})
	if m.Count != 2 || !near(m.Mean, 2) || !near(m.Std(), 1) {
		t.Errorf("after [1 3]: %+v std %v, want mean 2 std 1", m, m.Std())
	}
	m = m.Add([]float64{5})
	if m.Count != 3 || !near(m.Mean, 3) || !near(m.Std(), math.Sqrt(8.0/3)) {
		t.Errorf("after [5]: %+v std %v, want mean 3 std √(8/3)", m, m.Std())
	}
	got := m.Normalize([]float64{5, 3})
	if !near(got[0], 2/(math.Sqrt(8.0/3)+1e-8)) || got[1] != 0 {
		t.Errorf("Normalize = %v", got)
	}
	if s := (RewardMoments{}).Std(); s != 0 {
		t.Errorf("empty std %v", s)
	}
}

// With running statistics the advantages are those of the rewards
// normalised by them, not by the batch's own.
func TestAdvantagesRunningNormalization(t *testing.T) {
	in := AdvantageInputs{LogProbs: testLogp, RefLogProbs: testRef, Mask: testMask, Rewards: []float64{1, 0, 0.5, 0.25}, GroupSize: 2}
	stats := RewardMoments{}.Add([]float64{4, 4, 5, 3}).Add(in.Rewards)
	opts := AdvantageOptions{Estimator: Reinforce, KL: K1, Beta: 0.1, Gamma: 1, ClipLo: -10, ClipHi: 10, NormalizeReward: true, RewardStats: &stats}
	got, _, err := Advantages(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	pre := in
	pre.Rewards = stats.Normalize(in.Rewards)
	want, _, _ := Advantages(pre, AdvantageOptions{Estimator: Reinforce, KL: K1, Beta: 0.1, Gamma: 1, ClipLo: -10, ClipHi: 10})
	opts.RewardStats = nil
	batch, _, _ := Advantages(in, opts)
	for b := range got {
		for i := range got[b] {
			if !near(got[b][i], want[b][i]) {
				t.Errorf("adv[%d][%d] = %v, want %v", b, i, got[b][i], want[b][i])
			}
		}
	}
	if near(got[0][0], batch[0][0]) {
		t.Error("running and batch statistics should give different advantages here")
	}
}
