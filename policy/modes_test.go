package policy

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"acecoder/backend"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
)

// logSoftmax64 is the plain reference: x − log Σ exp x, in float64.
func logSoftmax64(x []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v) - mx - math.Log(s)
	}
	return out
}

func TestNextTokenLogProbs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lens  []int
		right bool
	}{
		{"left padding", []int{6, 2, 4}, false},
		{"right padding", []int{3, 5}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tinyModel(t, "tiny-qwen2", 4)
			b := LeftPad(mixedSeqs(tc.lens, m.Config.VocabSize, 9), 0)
			if tc.right {
				b = rightAlign(b)
			}
			logits := flat32(t, must(m.Logits(b)))
			lp := flat32(t, must(m.NextTokenLogProbs(b)))
			s, v := len(b.IDs[0]), m.Config.VocabSize
			for r := range b.IDs {
				for p := range s {
					want := 0.0
					if p > 0 && b.Mask[r][p] == 1 && b.Mask[r][p-1] == 1 {
						want = logSoftmax64(logits[(r*s+p-1)*v : (r*s+p)*v])[b.IDs[r][p]]
					}
					if got := float64(lp[r*s+p]); math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
						t.Errorf("row %d pos %d: log-prob %.7f, log_softmax gives %.7f", r, p, got, want)
					}
				}
			}
		})
	}
}

func TestTemperedLogProbs(t *testing.T) {
	m := tinyModel(t, "tiny-qwen2", 4)
	b := LeftPad(mixedSeqs([]int{5, 3}, m.Config.VocabSize, 11), 0)
	logits := flat32(t, must(m.Logits(b)))
	s, v := len(b.IDs[0]), m.Config.VocabSize
	for _, temp := range []float64{0.5, 0.7, 1, 1.3} {
		lp := flat32(t, must(m.TemperedLogProbs(b, temp)))
		for r := range b.IDs {
			for p := 1; p < s; p++ {
				if b.Mask[r][p] == 0 || b.Mask[r][p-1] == 0 {
					continue
				}
				scaled := make([]float32, v)
				for i, x := range logits[(r*s+p-1)*v : (r*s+p)*v] {
					scaled[i] = float32(float64(x) / temp)
				}
				want := logSoftmax64(scaled)[b.IDs[r][p]]
				if got := float64(lp[r*s+p]); math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("T=%g row %d pos %d: log-prob %.7f, log_softmax(logits/T) gives %.7f", temp, r, p, got, want)
				}
			}
		}
	}
}

// rightAlign moves each row's tokens to the front (right padding).
func rightAlign(b Batch) Batch {
	out := Batch{}
	for r := range b.IDs {
		s := len(b.IDs[r])
		ids, pos, mask := make([]int32, s), make([]int32, s), make([]int32, s)
		j := 0
		for p := range s {
			if b.Mask[r][p] == 1 {
				ids[j], pos[j], mask[j] = b.IDs[r][p], b.Positions[r][p], 1
				j++
			}
		}
		out.IDs, out.Positions, out.Mask = append(out.IDs, ids), append(out.Positions, pos), append(out.Mask, mask)
	}
	return out
}

func TestTokenLogProbsMasked(t *testing.T) {
	logits := [][][]float32{{{1, 2, 3}, {0, 0, 50}}, {{-1, 5, 0.5}, {2, 2, 2}}}
	targets := [][]int32{{2, 0}, {1, 1}}
	mask := [][]int32{{1, 0}, {1, 1}}
	e := MustNewExec(backend.MustOpenGo(), TokenLogProbs)
	got := flat32(t, e.MustExec1(tensors.FromValue(logits), tensors.FromValue(targets), tensors.FromValue(mask)))
	var want []float64
	for b := range logits {
		for s := range logits[b] {
			w := 0.0
			if mask[b][s] == 1 {
				w = logSoftmax64(logits[b][s])[targets[b][s]]
			}
			want = append(want, w)
		}
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Errorf("entry %d: got %.7f, want %.7f", i, got[i], want[i])
		}
	}
}

func TestLastHidden(t *testing.T) {
	m := tinyModel(t, "tiny-llama", 6)
	for _, tc := range []struct {
		name  string
		right bool
	}{{"left padding", false}, {"right padding", true}} {
		t.Run(tc.name, func(t *testing.T) {
			b := LeftPad(mixedSeqs([]int{5, 2, 3}, m.Config.VocabSize, 1), 0)
			if tc.right {
				b = rightAlign(b)
			}
			hidden := flat32(t, must(m.Hidden(b)))
			last := flat32(t, must(m.LastHidden(b)))
			s, d := len(b.IDs[0]), m.Config.HiddenSize
			for r := range b.IDs {
				idx := 0
				for p := range s {
					if b.Mask[r][p] == 1 {
						idx = p
					}
				}
				for i := range d {
					if last[r*d+i] != hidden[(r*s+idx)*d+i] {
						t.Fatalf("row %d: last hidden differs from hidden at position %d", r, idx)
					}
				}
			}
		})
	}
}

func TestMaskBeyondVocab(t *testing.T) {
	e := MustNewExec(backend.MustOpenGo(), func(x *Node) *Node { return MaskBeyondVocab(x, 2) })
	got := flat32(t, e.MustExec1(tensors.FromValue([][]float32{{1, 2, 3, 4}})))
	if got[0] != 1 || got[1] != 2 || !math.IsInf(float64(got[2]), -1) || !math.IsInf(float64(got[3]), -1) {
		t.Errorf("got %v, want [1 2 -Inf -Inf]", got)
	}
}

// TestChunkedLogProbs: log-probs taken a few positions at a time (each
// chunk a gradient checkpoint) equal the whole-batch ones, and so do their
// gradients.
func TestChunkedLogProbs(t *testing.T) {
	m := tinyModel(t, "tiny-qwen2", 4)
	b := LeftPad(mixedSeqs([]int{9, 6, 3}, m.Config.VocabSize, 2), 0)
	run := func(chunk int) ([]float32, []float32) {
		out, err := m.run(fmt.Sprintf("test-chunked-%d", chunk), func(_ *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			ForGradients(g)
			lp := m.Decoder.chunkedLogProbs(m.Decoder.Hidden(in[0], in[1], in[2]), in[0], in[2], 0.7, chunk)
			emb := m.Decoder.weight(g, "model.embed_tokens.weight")
			return []*Node{lp, Gradient(ReduceAllSum(lp), emb)[0]}
		}, must3(b.tensors())...)
		if err != nil {
			t.Fatal(err)
		}
		return flat32(t, out[0]), flat32(t, out[1])
	}
	wantLP, wantGrad := run(100)
	for _, chunk := range []int{1, 3, 7} {
		lp, grad := run(chunk)
		if d := maxDiff(lp, wantLP); d > 1e-6 {
			t.Errorf("chunk %d: log-probs differ by %.3g", chunk, d)
		}
		if d := maxDiff(grad, wantGrad); d > 1e-5 {
			t.Errorf("chunk %d: gradients differ by %.3g", chunk, d)
		}
	}
	if got := logitsChunk(8, 4096, 151936); got >= 4096 || got < 1 {
		t.Errorf("logitsChunk for 8 × 4096 × 151936 = %d, want a chunk of the positions", got)
	}
}
