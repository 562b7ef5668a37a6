package tokenizer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"golang.org/x/text/unicode/norm"
)

// ChatML special tokens, the default added vocabulary of trained tokenizers.
const (
	EndOfText = "<|endoftext|>"
	IMStart   = "<|im_start|>"
	IMEnd     = "<|im_end|>"
)

// TrainOptions configures TrainByteLevel.
type TrainOptions struct {
	// Merges is the number of merges to learn (vocabulary = 256 bytes +
	// merges + special tokens). Training stops early when no pair occurs
	// twice.
	Merges int
	// SpecialTokens are appended after the learned vocabulary as special
	// added tokens; nil means EndOfText, IMStart, IMEnd.
	SpecialTokens []string
	// EOS and PAD name tokenizer_config.json roles; empty means IMEnd and
	// EndOfText (Qwen2's choice).
	EOS, PAD string
	// ChatTemplate is stored in tokenizer_config.json when non-empty.
	ChatTemplate string
	// SpecialsFirst gives the special tokens ids 0, 1, … (and puts them in
	// the vocabulary too) instead of ids after the learned merges; byte b
	// then has id len(SpecialTokens)+b.
	SpecialsFirst bool
	// Llama3 selects the Llama-3 file layout: no normaliser, the Llama-3
	// split pattern (digits in groups of up to three), ignore_merges, merges
	// as "a b" strings, and a TemplateProcessing post-processor that
	// prepends BOS.
	Llama3 bool
	// BOS names the beginning-of-sequence token, one of SpecialTokens (empty:
	// none). With Llama3, Encode(text, true) prepends it.
	BOS string
}

// TrainByteLevel learns a byte-level BPE tokenizer from texts, Qwen2-style
// by default (NFC, the Qwen2 split pattern) or Llama-3-style: 256 byte
// tokens (id = byte value), then the learned merges, then the special
// tokens (or the special tokens first, see SpecialsFirst). Each step merges the most
// frequent adjacent pair over all pre-token words (ties: the pair whose
// token strings sort first), as Sennrich et al.'s algorithm does.
// Special tokens inside texts are excluded from training.
func TrainByteLevel(ctx context.Context, texts []string, opts TrainOptions) (*Tokenizer, error) {
	if opts.Merges < 0 {
		return nil, fmt.Errorf("tokenizer: train: negative merge count %d", opts.Merges)
	}
	specials := opts.SpecialTokens
	if specials == nil {
		specials = []string{EndOfText, IMStart, IMEnd}
	}
	offset := 0
	var tokens []string
	if opts.SpecialsFirst {
		offset = len(specials)
		tokens = append(tokens, specials...)
	}
	words, counts := countWords(texts, specials, offset, opts.Llama3)
	for b := range 256 {
		tokens = append(tokens, string(byteToRune[b]))
	}
	vocab := make(map[string]int, 256+opts.Merges)
	for id, tok := range tokens {
		vocab[tok] = id
	}
	var merges [][2]string
	for len(merges) < opts.Merges {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("tokenizer: train: %w", err)
		}
		a, b, ok := bestPair(words, counts, tokens)
		if !ok {
			break
		}
		merged := tokens[a] + tokens[b]
		id, exists := vocab[merged]
		if !exists {
			id = len(tokens)
			tokens = append(tokens, merged)
			vocab[merged] = id
		}
		merges = append(merges, [2]string{tokens[a], tokens[b]})
		for i, w := range words {
			words[i] = mergePair(w, a, b, id)
		}
	}
	data, cfg, err := byteLevelFiles(tokens, merges, specials, opts)

	if err != nil {
		return nil, fmt.Errorf("tokenizer: train: %w", err)
	}
	return Parse(data, cfg)
}

// NewByteLevel returns an untrained byte-level tokenizer: 256 byte tokens
// plus the ChatML special tokens (ids 256–258).
func NewByteLevel() (*Tokenizer, error) {
	return TrainByteLevel(context.Background(), nil, TrainOptions{})
}

// countWords pre-tokenizes texts (special tokens removed) into unique words
// as byte-id sequences (id = offset + byte) with their counts, with the
// Llama-3 pattern and no normalisation, or NFC and the Qwen2 pattern.
func countWords(texts []string, specials []string, offset int, llama3 bool) ([][]int, []int) {
	digits, normalize := 1, unicodeForm(norm.NFC)
	if llama3 {
		digits, normalize = 3, func(s string) string { return s }
	}
	var added []AddedToken
	for i, s := range specials {
		added = append(added, AddedToken{ID: i, Content: s})
	}
	matcher := newAddedMatcher(added)
	index := map[string]int{}
	var words [][]int
	var counts []int
	for _, text := range texts {
		for _, sg := range matcher.split(text, nil) {
			if sg.id >= 0 {
				continue
			}
			s := normalize(sg.text)
			scanPattern(s, digits, func(a, b int) {
				w := s[a:b]
				i, ok := index[w]
				if !ok {
					i = len(words)
					index[w] = i
					ids := make([]int, len(w))
					for k := range len(w) {
						ids[k] = offset + int(w[k])
					}
					words = append(words, ids)
					counts = append(counts, 0)
				}
				counts[i]++
			})
		}
	}
	return words, counts
}

// bestPair returns the most frequent adjacent pair occurring at least twice.
func bestPair(words [][]int, counts []int, tokens []string) (a, b int, ok bool) {
	freq := map[uint64]int{}
	for i, w := range words {
		for k := 0; k+1 < len(w); k++ {
			freq[pairKey(w[k], w[k+1])] += counts[i]
		}
	}
	best, bestN := uint64(0), 1
	for k, n := range freq {
		if n > bestN || (n == bestN && bestN > 1 && pairLess(k, best, tokens)) {
			best, bestN = k, n
		}
	}
	if bestN < 2 {
		return 0, 0, false
	}
	return int(best >> 32), int(uint32(best)), true
}

func pairLess(x, y uint64, tokens []string) bool {
	xa, xb := tokens[x>>32], tokens[uint32(x)]
	ya, yb := tokens[y>>32], tokens[uint32(y)]
	return xa < ya || (xa == ya && xb < yb)
}

// mergePair replaces non-overlapping occurrences of (a, b), left to right.
func mergePair(w []int, a, b, id int) []int {
	out := w[:0]
	for k := 0; k < len(w); k++ {
		if k+1 < len(w) && w[k] == a && w[k+1] == b {
			out = append(out, id)
			k++
			continue
		}
		out = append(out, w[k])
	}
	return out
}

// marshalJSON indents without HTML escaping, so "<|im_end|>" stays legible.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
