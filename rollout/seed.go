package rollout

import "math/rand/v2"

// SampleSeed derives the seed of one sample from (run seed, step, prompt
// index, sample index) by chaining SplitMix64's finaliser over the four
// values, so neighbouring indices give unrelated streams and the seed does
// not depend on how samples are batched.
func SampleSeed(run, step uint64, prompt, sample int) uint64 {
	h := mix64(run ^ 0x243f6a8885a308d3)
	h = mix64(h ^ step)
	h = mix64(h ^ uint64(prompt))
	return mix64(h ^ uint64(sample))
}

// mix64 is SplitMix64's output function (Steele, Lea, Flood 2014): a
// bijection on uint64 with full avalanche.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// newRNG is the per-sample generator: PCG seeded from the sample seed.
func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, mix64(seed)))
}
