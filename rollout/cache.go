package rollout

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// hostCache is the KV cache of a decode batch: 2L tensors (K of each layer,
// then V) of shape [B,KV,M,hd], held in backend buffers shared with the
// host where the backend allows (the go backend does), so the host writes
// each step's new slot in place and the graph reads the cache without a
// copy. Row r's tokens occupy slots 0..len−1 (no left padding: each row has
// its own positions and length, masked by the step's bias).
type hostCache struct {
	b, kv, m, hd int
	t            []*tensors.Tensor
}

func newHostCache(backend compute.Backend, layers, b, kv, m, hd int) (*hostCache, error) {
	c := &hostCache{b: b, kv: kv, m: m, hd: hd}
	for range 2 * layers {
		t, err := tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, b, kv, m, hd))
		if err != nil {
			c.free()
			return nil, fmt.Errorf("rollout: cache [%d,%d,%d,%d]: %w", b, kv, m, hd, err)
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

// offset is the flat index of (row, head, slot, 0).
func (c *hostCache) offset(row, head, slot int) int {
	return ((row*c.kv+head)*c.m + slot) * c.hd
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
					copy(flat[c.offset(r, h, slots[j]):], src[from:from+c.hd])
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
				copy(flat[c.offset(row, h, 0):c.offset(row, h, n)], src[h*t*c.hd:])
			}
		})
	}
}

// moveTo copies the first lens[i] slots of row from[i] of c into row i of
// dst (a cache of another batch or length).
func (c *hostCache) moveTo(dst *hostCache, from, lens []int) {
	for i := range c.t {
		tensors.MustConstFlatData(c.t[i], func(src []float32) {
			tensors.MustMutableFlatData(dst.t[i], func(flat []float32) {
				for r, o := range from {
					for h := range c.kv {
						copy(flat[dst.offset(r, h, 0):dst.offset(r, h, lens[r])], src[c.offset(o, h, 0):])
					}
				}
			})
		})
	}
}
