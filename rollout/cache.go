package rollout

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// hostCache is the KV cache of a decode batch: per layer K as [B,KV,hd,M]
// (transposed, so q·K is a plain matrix product on the go backend) and V
// as [B,KV,M,hd]; tensors K of each layer, then V of each layer. They are
// held in backend buffers shared with the host where the backend allows
// (the go backend does), so the host writes each step's new slot in place
// and the graph reads the cache without a copy. Row r's tokens occupy
// slots 0..len−1 (no left padding: each row has its own positions and
// length, masked by the step's bias).
type hostCache struct {
	b, kv, m, hd, layers int
	t                    []*tensors.Tensor
}

func newHostCache(backend compute.Backend, layers, b, kv, m, hd int) (*hostCache, error) {
	c := &hostCache{b: b, kv: kv, m: m, hd: hd, layers: layers}
	for i := range 2 * layers {
		dims := []int{b, kv, m, hd}
		if i < layers {
			dims = []int{b, kv, hd, m}
		}
		t, err := tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, dims...))
		if err != nil {
			c.free()
			return nil, fmt.Errorf("rollout: cache %v: %w", dims, err)
		}
		c.t = append(c.t, t)
	}
	return c, nil
}

// free releases the buffers.
func (c *hostCache) free() {
	if c == nil {
		return
	}
	for _, t := range c.t {
		_ = t.FinalizeAll()
	}
	c.t = nil
}

// put stores vector x [hd] of (row, head, slot) in tensor i's flat data.
func (c *hostCache) put(i int, flat []float32, row, head, slot int, x []float32) {
	base := (row*c.kv + head) * c.m * c.hd
	if i >= c.layers { // V [.., M, hd]
		copy(flat[base+slot*c.hd:], x[:c.hd])
		return
	}
	for d, v := range x[:c.hd] { // K [.., hd, M]
		flat[base+d*c.m+slot] = v
	}
}

// writeSlot stores one token's keys and values at slot of each listed row:
// kv [2L,B,KV,hd] flat (the decode graph's output, B = c.b).
func (c *hostCache) writeSlot(kv []float32, rows, slots []int) {
	per := c.b * c.kv * c.hd
	for i, t := range c.t {
		src := kv[i*per : (i+1)*per]
		tensors.MustMutableFlatData(t, func(flat []float32) {
			for j, r := range rows {
				for h := range c.kv {
					from := (r*c.kv + h) * c.hd
					c.put(i, flat, r, h, slots[j], src[from:from+c.hd])
				}
			}
		})
	}
}

// writePrompt copies n prompt slots into row: kv [2L,KV,T,hd] flat (one
// prompt of the prefill output, T ≥ n).
func (c *hostCache) writePrompt(row int, kv []float32, t, n int) {
	per := c.kv * t * c.hd
	for i, tt := range c.t {
		src := kv[i*per : (i+1)*per]
		tensors.MustMutableFlatData(tt, func(flat []float32) {
			for h := range c.kv {
				for s := range n {
					from := (h*t + s) * c.hd
					c.put(i, flat, row, h, s, src[from:from+c.hd])
				}
			}
		})
	}
}

// moveTo copies the first lens[i] slots of row from[i] of c into row i of
// dst (a cache of another batch size or length).
func (c *hostCache) moveTo(dst *hostCache, from, lens []int) {
	for i := range c.t {
		tensors.MustConstFlatData(c.t[i], func(src []float32) {
			tensors.MustMutableFlatData(dst.t[i], func(flat []float32) {
				for r, o := range from {
					for h := range c.kv {
						sb, db := (o*c.kv+h)*c.m*c.hd, (r*c.kv+h)*dst.m*dst.hd
						if i >= c.layers {
							copy(flat[db:db+lens[r]*c.hd], src[sb:])
							continue
						}
						for d := range c.hd {
							copy(flat[db+d*dst.m:db+d*dst.m+lens[r]], src[sb+d*c.m:])
						}
					}
				}
			})
		})
	}
}
