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
}

// TrainByteLevel learns a Qwen2-style byte-level BPE tokenizer from texts:
// NFC, the Qwen2 split pattern, 256 byte tokens (id = byte value), then the
// learned merges, then the special tokens. Each step merges the most
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
	words, counts := countWords(texts, specials, offset)
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
// as byte-id sequences (id = offset + byte) with their counts.
func countWords(texts []string, specials []string, offset int) ([][]int, []int) {
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
			s := unicodeForm(norm.NFC)(sg.text)
			scanPattern(s, 1, func(a, b int) {
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

// byteLevelFiles writes tokenizer.json and tokenizer_config.json contents.
func byteLevelFiles(tokens []string, merges [][2]string, specials []string, opts TrainOptions) ([]byte, []byte, error) {
	vocab := make(map[string]int, len(tokens))
	for id, t := range tokens {
		vocab[t] = id
	}
	firstSpecial := len(tokens)
	if opts.SpecialsFirst {
		firstSpecial = 0
	}
	added := make([]AddedToken, len(specials))
	decoder := map[string]any{}
	for i, s := range specials {
		added[i] = AddedToken{ID: firstSpecial + i, Content: s, Special: true}
		decoder[fmt.Sprint(added[i].ID)] = map[string]any{"content": s, "lstrip": false, "normalized": false,
			"rstrip": false, "single_word": false, "special": true}
	}
	byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}
	file := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added,
		"normalizer": map[string]any{"type": "NFC"},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]string{"Regex": qwen2Pattern},
				"behavior": "Isolated", "invert": false},
			byteLevel}},
		"post_processor": byteLevel, "decoder": byteLevel,
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "",
			"end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
			"vocab": vocab, "merges": merges},
	}
	data, err := marshalJSON(file)
	if err != nil {
		return nil, nil, err
	}
	eos, pad := opts.EOS, opts.PAD
	if eos == "" {
		eos = IMEnd
	}
	if pad == "" {
		pad = EndOfText
	}
	cfg := map[string]any{"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": false, "bos_token": nil,
		"eos_token": eos, "pad_token": pad, "unk_token": nil, "added_tokens_decoder": decoder,
		"clean_up_tokenization_spaces": false, "model_max_length": 32768, "split_special_tokens": false}
	if opts.ChatTemplate != "" {
		cfg["chat_template"] = opts.ChatTemplate
	}
	cfgData, err := marshalJSON(cfg)
	return data, cfgData, err
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
