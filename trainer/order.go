package trainer

import "math/rand/v2"

// EpochOrder is the shuffled order of n training items in an epoch: a
// permutation that depends only on (seed, epoch), so a resumed run replays
// it without saving it.
func EpochOrder(n int, seed int64, epoch int) []int {
	return rand.New(rand.NewPCG(uint64(seed), 0xda7a0000+uint64(epoch))).Perm(n)
}
