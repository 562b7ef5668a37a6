package tokenizer

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpeModel is a Hugging Face "BPE" model: a vocabulary, merges ranked by
// their position in the file, and the options byte-level vocabularies use.
// Dropout is not supported (training-time only).
type bpeModel struct {
	vocab        map[string]int
	merges       map[uint64]mergeRule // key: leftID<<32 | rightID
	unkID        int                  // -1 when the model has no unk token
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix
	// byteIDs[b] is the id of byte b's byte-level spelling (or -1); used
	// when the pipeline is byte-level and prefix/suffix are empty.
	byteIDs [256]int32

	mu    sync.RWMutex
	cache map[string][]int
}

type mergeRule struct {
	rank  int32
	newID int32
}

// cacheLimit bounds the per-word cache; once full, new words are encoded
// without being stored (as Hugging Face's BPE cache does).
const (
	cacheLimit   = 1 << 18
	cacheMaxWord = 256
)

func pairKey(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// setMerges ranks merges by file order. Hugging Face rejects a merge whose
// parts or result are missing from the vocabulary; so do we.
func (m *bpeModel) setMerges(merges [][2]string) error {
	for rank, mg := range merges {
		a, okA := m.vocab[mg[0]]
		b, okB := m.vocab[mg[1]]
		if !okA || !okB {
			return fmt.Errorf("merge %d (%q %q): part not in vocabulary", rank, mg[0], mg[1])
		}
		merged := mg[0] + strings.TrimPrefix(mg[1], m.prefix)
		id, ok := m.vocab[merged]
		if !ok {
			return fmt.Errorf("merge %d (%q %q): result %q not in vocabulary", rank, mg[0], mg[1], merged)
		}
		k := pairKey(a, b)
		if _, dup := m.merges[k]; !dup {
			m.merges[k] = mergeRule{rank: int32(rank), newID: int32(id)}
		}
	}
	return nil
}

func (m *bpeModel) initByteIDs() {
	for b := range 256 {
		m.byteIDs[b] = -1
		if id, ok := m.vocab[string(byteToRune[b])]; ok {
			m.byteIDs[b] = int32(id)
		}
	}
}

// encodeWord appends the ids of one pre-token. byteLevel says whether the
// word is raw bytes still to be spelled with the byte-level alphabet.
func (m *bpeModel) encodeWord(dst []int, word string, byteLevel bool) []int {
	if len(word) <= cacheMaxWord {
		m.mu.RLock()
		ids, ok := m.cache[word]
		m.mu.RUnlock()
		if ok {
			return append(dst, ids...)
		}
	}
	ids := m.tokenizeWord(word, byteLevel)
	if len(word) <= cacheMaxWord {
		m.mu.Lock()
		if len(m.cache) < cacheLimit {
			m.cache[word] = ids
		}
		m.mu.Unlock()
	}
	return append(dst, ids...)
}

func (m *bpeModel) tokenizeWord(word string, byteLevel bool) []int {
	spelled := word
	if byteLevel {
		spelled = byteLevelString(word)
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[spelled]; ok {
			return []int{id}
		}
	}
	var syms []int
	if byteLevel && m.prefix == "" && m.suffix == "" {
		syms = make([]int, 0, len(word))
		for i := 0; i < len(word); i++ {
			if id := m.byteIDs[word[i]]; id >= 0 {
				syms = append(syms, int(id))
			} else {
				syms = m.appendUnknown(syms, string(byteToRune[word[i]]))
			}
		}
	} else {
		syms = m.initialSymbols(spelled)
	}
	return mergeSymbols(syms, m.merges)
}

// initialSymbols splits a word into characters, adding the continuing
// prefix to all but the first and the suffix to the last.
func (m *bpeModel) initialSymbols(word string) []int {
	syms := make([]int, 0, len(word))
	for i := 0; i < len(word); {
		_, size := utf8.DecodeRuneInString(word[i:])
		s := word[i : i+size]
		if i > 0 {
			s = m.prefix + s
		}
		if i+size == len(word) {
			s += m.suffix
		}
		if id, ok := m.vocab[s]; ok {
			syms = append(syms, id)
		} else {
			syms = m.appendUnknown(syms, word[i:i+size])
		}
		i += size
	}
	return syms
}

// appendUnknown handles a character missing from the vocabulary: its bytes
// as <0xXX> tokens when byte_fallback is set, else the unk token (fused with
// a preceding unk when fuse_unk), else nothing, as Hugging Face does.
func (m *bpeModel) appendUnknown(syms []int, ch string) []int {
	if m.byteFallback {
		ids := make([]int, 0, len(ch))
		for i := 0; i < len(ch); i++ {
			id, ok := m.vocab[fmt.Sprintf("<0x%02X>", ch[i])]
			if !ok {
				ids = nil
				break
			}
			ids = append(ids, id)
		}
		if ids != nil {
			return append(syms, ids...)
		}
	}
	if m.unkID < 0 {
		return syms
	}
	if m.fuseUnk && len(syms) > 0 && syms[len(syms)-1] == m.unkID {
		return syms
	}
	return append(syms, m.unkID)
}

// resetCache empties the word cache (benchmarks measure uncached encoding).
func (m *bpeModel) resetCache() {
	m.mu.Lock()
	m.cache = make(map[string][]int)
	m.mu.Unlock()
}
