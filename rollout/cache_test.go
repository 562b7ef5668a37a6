package rollout

import (
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/backend"
)

func TestBuckets(t *testing.T) {
	cases := []struct {
		name       string
		n, b, slot int
	}{
		{"one", 1, 1, 32},
		{"small", 17, 32, 32},
		{"power of two", 64, 64, 64},
		{"just above", 257, 512, 384},
		{"multiple of 128", 640, 1024, 640},
		{"above a multiple", 641, 1024, 768},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := bucket(tc.n, 1); got != tc.b {
				t.Errorf("bucket(%d) = %d, want %d", tc.n, got, tc.b)
			}
			if got := cacheSlots(tc.n); got != tc.slot || got < tc.n {
				t.Errorf("cacheSlots(%d) = %d, want %d", tc.n, got, tc.slot)
			}
		})
	}
}

// TestHostCacheLayout writes a prompt and a slot into a cache, moves the row
// into a cache of another shape and checks every value against a plain map
// of (tensor, row, head, slot, d).
func TestHostCacheLayout(t *testing.T) {
	const layers, kv, hd, tp = 2, 2, 3, 4
	c, err := newHostCache(backend.MustOpenGo(), layers, 2, kv, 8, hd)
	if err != nil {
		t.Fatal(err)
	}
	defer c.free()
	val := func(i, h, s, d int) float32 { return float32(1000*i + 100*h + 10*s + d + 1) }
	prompt := make([]float32, 2*layers*kv*tp*hd) // [2L,KV,T,hd]
	for i := range 2 * layers {
		for h := range kv {
			for s := range tp {
				for d := range hd {
					prompt[((i*kv+h)*tp+s)*hd+d] = val(i, h, s, d)
				}
			}
		}
	}
	c.writePrompt(1, prompt, tp, 3)           // slots 0..2 of row 1
	step := make([]float32, 2*layers*2*kv*hd) // [2L,B,KV,hd]
	for i := range 2 * layers {
		for h := range kv {
			for d := range hd {
				step[((i*2+1)*kv+h)*hd+d] = val(i, h, 3, d)
			}
		}
	}
	c.writeSlot(step, []int{1}, []int{3})
	dst, err := newHostCache(backend.MustOpenGo(), layers, 1, kv, 32, hd)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.free()
	c.moveTo(dst, []int{1}, []int{4})
	for i, tt := range dst.t {
		tensors.MustConstFlatData(tt, func(flat []float32) {
			for h := range kv {
				for s := range 32 {
					for d := range hd {
						idx := ((0*kv+h)*32+s)*hd + d // V layout [B,KV,M,hd]
						if i < layers {
							idx = ((0*kv+h)*hd+d)*32 + s // K layout [B,KV,hd,M]
						}
						want := float32(0)
						if s < 4 {
							want = val(i, h, s, d)
						}
						if flat[idx] != want {
							t.Fatalf("tensor %d head %d slot %d d %d: %v, want %v", i, h, s, d, flat[idx], want)
						}
					}
				}
			}
		})
	}
}
