package tokenizer

// mergeSymbols applies BPE merges to a word given as symbol ids and returns
// the final ids. At every step it merges the adjacent pair with the lowest
// rank, the leftmost one on ties, until no adjacent pair has a merge; this
// is the order of Hugging Face's priority queue (rank, then position).
// A binary heap keeps long words (runs of spaces, minified code) at
// O(n log n) instead of O(n²).
//
// syms: [n] initial ids (consumed); result: [m] ids, m ≤ n.
func mergeSymbols(syms []int, merges map[uint64]mergeRule) []int {
	n := len(syms)
	if n < 2 {
		return syms
	}
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := range n {
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
	}
	next[n-1] = -1
	h := mergeHeap{}
	for i := 0; i+1 < n; i++ {
		if r, ok := merges[pairKey(syms[i], syms[i+1])]; ok {
			h.push(heapItem{rank: r.rank, pos: int32(i), left: int32(syms[i]), right: int32(syms[i+1]), newID: r.newID})
		}
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	for len(h) > 0 {
		it := h.pop()
		p := it.pos
		q := next[p]
		if !alive[p] || q < 0 || int32(syms[p]) != it.left || int32(syms[q]) != it.right {
			continue // stale entry: one side has been merged since it was pushed
		}
		syms[p] = int(it.newID)
		alive[q] = false
		next[p] = next[q]
		if nq := next[q]; nq >= 0 {
			prev[nq] = p
			if r, ok := merges[pairKey(syms[p], syms[nq])]; ok {
				h.push(heapItem{rank: r.rank, pos: p, left: int32(syms[p]), right: int32(syms[nq]), newID: r.newID})
			}
		}
		if pp := prev[p]; pp >= 0 {
			if r, ok := merges[pairKey(syms[pp], syms[p])]; ok {
				h.push(heapItem{rank: r.rank, pos: pp, left: int32(syms[pp]), right: int32(syms[p]), newID: r.newID})
			}
		}
	}
	out := syms[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}

type heapItem struct {
	rank, pos, left, right, newID int32
}

func (a heapItem) less(b heapItem) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}

// mergeHeap is a min-heap on (rank, pos).
type mergeHeap []heapItem

func (h *mergeHeap) push(it heapItem) {
	*h = append(*h, it)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].less(s[parent]) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *mergeHeap) pop() heapItem {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].less(s[m]) {
			m = l
		}
		if r < len(s) && s[r].less(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
