package policy

import (
	"math"
	"math/rand/v2"
	"testing"

	"acecoder/backend"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
)

func TestDenseLayout(t *testing.T) {
	tests := []struct {
		name       string
		n, in, out int
		want       compute.DenseLayout
	}{
		{name: "wide output, many rows", n: 1024, in: 128, out: 704, want: compute.DenseLayoutInputOutputs},
		{name: "wide output, few rows", n: 16, in: 128, out: 704, want: compute.DenseLayoutOutputsInput},
		{name: "narrow output", n: 1024, in: 352, out: 128, want: compute.DenseLayoutOutputsInput},
		{name: "square ties keep HF", n: 1024, in: 128, out: 128, want: compute.DenseLayoutOutputsInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := denseLayout(tc.n, tc.in, tc.out); got != tc.want {
				t.Fatalf("denseLayout(%d, %d, %d) = %v, want %v", tc.n, tc.in, tc.out, got, tc.want)
			}
		})
	}
}

// TestDenseLayoutsAgree: both weight layouts give x·wᵀ + b and the same
// gradients for x, w and b, checked against plain loops.
func TestDenseLayoutsAgree(t *testing.T) {
	const n, in, out = 6, 5, 7
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	xs, ws, bs, cs := rnd(n*in), rnd(out*in), rnd(out), rnd(n*out)
	// Loss Σ c ⊙ (x·wᵀ + b): dL/dy = c, dx = c·w, dw = cᵀ·x, db = Σ_rows c.
	wantY, wantDX, wantDW, wantDB := make([]float64, n*out), make([]float64, n*in), make([]float64, out*in), make([]float64, out)
	for r := range n {
		for o := range out {
			y := float64(bs[o])
			for i := range in {
				y += float64(xs[r*in+i]) * float64(ws[o*in+i])
				wantDX[r*in+i] += float64(cs[r*out+o]) * float64(ws[o*in+i])
				wantDW[o*in+i] += float64(cs[r*out+o]) * float64(xs[r*in+i])
			}
			wantY[r*out+o] = y
			wantDB[o] += float64(cs[r*out+o])
		}
	}
	for _, layout := range []compute.DenseLayout{compute.DenseLayoutOutputsInput, compute.DenseLayoutInputOutputs} {
		t.Run(layout.String(), func(t *testing.T) {
			e := MustNewExec(backend.MustOpenGo(), func(x, w, b, c *Node) []*Node {
				y := denseAs(x, w, b, layout)
				grads := Gradient(ReduceAllSum(Mul(y, c)), x, w, b)
				return append([]*Node{y}, grads...)
			})
			res := e.MustExec(
				tensors.FromFlatDataAndDimensions(xs, n, in), tensors.FromFlatDataAndDimensions(ws, out, in),
				tensors.FromFlatDataAndDimensions(bs, out), tensors.FromFlatDataAndDimensions(cs, n, out))
			for i, want := range [][]float64{wantY, wantDX, wantDW, wantDB} {
				got := tensors.MustCopyFlatData[float32](res[i])
				for j := range want {
					if math.Abs(float64(got[j])-want[j]) > 1e-4*(1+math.Abs(want[j])) {
						t.Fatalf("output %d [%d] = %g, want %g", i, j, got[j], want[j])
					}
				}
			}
		})
	}
}
