package policy

import (
	"math"
	"testing"
)

// TestStepMatchesFullForward generates a left-padded batch with mixed
// prompt lengths and checks that prefill + incremental steps give the same
// logits as one full forward over the whole sequences, at every real position.
func TestStepMatchesFullForward(t *testing.T) {
	for _, tc := range []struct {
		name   string
		model  string
		lens   []int // prompt lengths
		gen    int   // tokens appended to every row
		chunk  int   // tokens per step after the prefill
		maxLen int
	}{
		{"qwen2 decode", "tiny-qwen2", []int{7, 3, 5}, 5, 1, 16},
		{"qwen2 chunks of 2", "tiny-qwen2", []int{4, 6}, 4, 2, 12},
		{"llama decode", "tiny-llama", []int{5, 1}, 4, 1, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tinyModel(t, tc.model, 2)
			prompts := mixedSeqs(tc.lens, m.Config.VocabSize, 5)
			full := LeftPad(prompts, 0)
			p := len(full.IDs[0])
			for b := range full.IDs { // append generated tokens
				next := full.Positions[b][p-1] + 1
				for j := range tc.gen {
					full.IDs[b] = append(full.IDs[b], int32((b*31+j*17+5)%m.Config.VocabSize))
					full.Positions[b] = append(full.Positions[b], next+int32(j))
					full.Mask[b] = append(full.Mask[b], 1)
				}
			}
			want := flat32(t, must(m.Logits(full)))
			got := runSteps(t, m, full, p, tc.chunk, tc.maxLen)
			s, v := p+tc.gen, m.Config.VocabSize
			worst := 0.0
			for b := range full.IDs {
				for pos := range s {
					if full.Mask[b][pos] == 0 {
						continue
					}
					w := want[(b*s+pos)*v : (b*s+pos+1)*v]
					g := got[b][pos]
					rd := relDiff(g, toF64(w))
					worst = math.Max(worst, rd)
					if rd > 1e-5 {
						t.Errorf("row %d pos %d: step logits differ from full forward by %.2e", b, pos, rd)
					}
				}
			}
			t.Logf("worst relative difference %.2e", worst)
		})
	}
}

// runSteps prefills the first p columns, then feeds the rest chunk by chunk,
// with kvMask covering only the slots written so far. It returns logits
// [B][S][V] collected from the steps.
func runSteps(t *testing.T, m *Model, full Batch, p, chunk, maxLen int) [][][]float32 {
	t.Helper()
	bsz, s, v := len(full.IDs), len(full.IDs[0]), m.Config.VocabSize
	cache := m.NewCache(bsz, maxLen)
	out := make([][][]float32, bsz)
	kvMask := make([][]int32, bsz)
	for b := range kvMask {
		kvMask[b] = make([]int32, maxLen)
	}
	for start := 0; start < s; {
		n := chunk
		if start == 0 {
			n = p
		}
		n = min(n, s-start)
		ids, pos := make([][]int32, bsz), make([][]int32, bsz)
		for b := range bsz {
			ids[b], pos[b] = full.IDs[b][start:start+n], full.Positions[b][start:start+n]
			copy(kvMask[b][start:start+n], full.Mask[b][start:start+n])
		}
		logits, err := m.Step(cache, ids, pos, start, kvMask)
		if err != nil {
			t.Fatal(err)
		}
		f := flat32(t, logits)
		for b := range bsz {
			for i := range n {
				out[b] = append(out[b], f[(b*n+i)*v:(b*n+i+1)*v])
			}
		}
		start += n
	}
	return out
}

func must[T any](x T, err error) T {
	if err != nil {
		panic(err)
	}
	return x
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
