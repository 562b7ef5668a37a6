package bench

import (
	"testing"

	"acecoder/backend"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
)

// BenchmarkMatmul times one float32 product [2048,256]·[256,1024] (config
// (b)'s up projection over a batch of 8 × 256 tokens) on the go backend and
// reports GFLOP/s: the kernel speed that bounds training at that size.
// PyTorch's on the same shape:
//
//	/usr/bin/python3 -c 'import torch,time; torch.set_num_threads(2); a=torch.randn(2048,256); b=torch.randn(256,1024)
//	for _ in range(5): a@b
//	t=time.perf_counter(); [a@b for _ in range(50)]; print(2*2048*256*1024*50/(time.perf_counter()-t)/1e9, "GFLOP/s")'
func BenchmarkMatmul(b *testing.B) {
	const n, k, m = 2048, 256, 1024
	e := MustNewExec(backend.MustOpenGo(), func(x, w *Node) *Node {
		return Dot(x, w).General([]int{1}, nil, []int{0}, nil)
	})
	x := tensors.FromFlatDataAndDimensions(make([]float32, n*k), n, k)
	w := tensors.FromFlatDataAndDimensions(make([]float32, k*m), k, m)
	e.MustExec(x, w)
	for b.Loop() {
		for _, t := range e.MustExec(x, w) {
			t.MustFinalizeAll()
		}
	}
	b.ReportMetric(2*n*k*m/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
}
