// Package tokenizer implements Hugging Face tokenizer.json byte-level BPE
// as used by Qwen2/Qwen2.5 and Llama-3: added and special tokens
// (lstrip/rstrip/single_word, normalized or not), normalisers (NFC & co.),
// the Split and ByteLevel pre-tokenizers, BPE merges by rank in both file
// formats, ignore_merges, byte_fallback, the TemplateProcessing BOS
// post-processor and the ByteLevel decoder. It also trains small byte-level
// BPE vocabularies for tiny models (train.go).
//
// Departures from Hugging Face: offsets are not tracked; Decode returns the
// raw decoded bytes (a token sequence that ends mid-character gives invalid
// UTF-8 rather than U+FFFD), which makes Decode(Encode(s)) == s hold for any
// byte string, valid UTF-8 or not.
package tokenizer

// Tokenizer encodes text to token ids and back. It is safe for concurrent
// use; encoded words are cached.
type Tokenizer struct {
	model     *bpeModel
	byteLevel bool // pieces are spelled with the byte-level alphabet
	normalize normalizer
	pre       []preStep
	fastScan  int           // >0: pre-tokenization is exactly scanPattern with this digit group
	rawAdded  *addedMatcher // added tokens matched before normalisation
	rawPlain  *addedMatcher // the same without special tokens (EncodeOrdinary)
	normAdded *addedMatcher
	post      []postStep
	joinSpace bool // no decoder: tokens are joined with spaces, as Hugging Face does

	added      []AddedToken
	addedByStr map[string]int
	tokens     []string // id -> token string ("" when unused)
	pieces     [][]byte // id -> decoded bytes
	special    []bool   // id -> special added token
	specials   SpecialTokens

	fileJSON   []byte // tokenizer.json as loaded, for Save
	configJSON []byte // tokenizer_config.json as loaded (may be nil)
}

// SpecialTokens names the roles tokenizer_config.json assigns; empty when
// not given.
type SpecialTokens struct {
	BOS, EOS, PAD, UNK string
}

// Encode returns the ids of text. addSpecial applies the post-processor
// (Llama-3 prepends <|begin_of_text|>; Qwen2 adds nothing). Special tokens
// written in text (e.g. "<|im_start|>") are recognised, as Hugging Face does
// by default.
func (t *Tokenizer) Encode(text string, addSpecial bool) []int {
	return t.encode(text, addSpecial, t.rawAdded)
}

// EncodeOrdinary encodes text with special tokens written in it treated as
// ordinary text (Hugging Face's split_special_tokens=True), so that a
// "<|im_end|>" inside a problem statement cannot end a turn. Non-special
// added tokens still match. No post-processor is applied.
func (t *Tokenizer) EncodeOrdinary(text string) []int {
	return t.encode(text, false, t.rawPlain)
}

func (t *Tokenizer) encode(text string, addSpecial bool, added *addedMatcher) []int {
	ids := make([]int, 0, len(text)/3+4)
	var segs [8]segment
	parts := segs[:0]
	if added != nil {
		parts = added.split(text, parts)
	} else {
		parts = append(parts, segment{text: text, id: -1})
	}
	for _, sg := range parts {
		if sg.id >= 0 {
			ids = append(ids, sg.id)
			continue
		}
		s := sg.text
		if t.normalize != nil {
			s = t.normalize(s)
		}
		if t.normAdded == nil {
			ids = t.encodePlain(ids, s)
			continue
		}
		for _, sub := range t.normAdded.split(s, nil) {
			if sub.id >= 0 {
				ids = append(ids, sub.id)
			} else {
				ids = t.encodePlain(ids, sub.text)
			}
		}
	}
	if addSpecial {
		for _, p := range t.post {
			ids = p.apply(ids)
		}
	}
	return ids
}

// encodePlain pre-tokenizes normalised text without added tokens and runs
// the BPE model on every piece.
func (t *Tokenizer) encodePlain(ids []int, s string) []int {
	if s == "" {
		return ids
	}
	if t.fastScan > 0 {
		scanPattern(s, t.fastScan, func(a, b int) {
			ids = t.model.encodeWord(ids, s[a:b], t.byteLevel)
		})
		return ids
	}
	pieces := []string{s}
	for _, st := range t.pre {
		pieces = st.apply(pieces)
	}
	for _, p := range pieces {
		ids = t.model.encodeWord(ids, p, t.byteLevel)
	}
	return ids
}

// Decode returns the text of ids. Unknown ids are skipped; skipSpecial also
// drops special added tokens (e.g. <|im_end|>), as skip_special_tokens does.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	out := make([]byte, 0, len(ids)*4)
	first := true
	for _, id := range ids {
		if id < 0 || id >= len(t.pieces) || t.pieces[id] == nil {
			continue
		}
		if skipSpecial && t.special[id] {
			continue
		}
		if t.joinSpace && !first {
			out = append(out, ' ')
		}
		out = append(out, t.pieces[id]...)
		first = false
	}
	return string(out)
}

// ID returns the id of a vocabulary or added token string (in vocabulary
// spelling, e.g. "Ġthe" or "<|im_end|>").
func (t *Tokenizer) ID(token string) (int, bool) {
	if id, ok := t.addedByStr[token]; ok {
		return id, true
	}
	id, ok := t.model.vocab[token]
	return id, ok
}

// Token returns the token string of id.
func (t *Tokenizer) Token(id int) (string, bool) {
	if id < 0 || id >= len(t.tokens) || t.pieces[id] == nil {
		return "", false
	}
	return t.tokens[id], true
}

// VocabSize is one more than the largest id of the vocabulary and the added
// tokens: the number of rows an embedding must have to cover every id.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// IsSpecial reports whether id is a special added token.
func (t *Tokenizer) IsSpecial(id int) bool { return id >= 0 && id < len(t.special) && t.special[id] }

// AddedTokens returns the added tokens in file order.
func (t *Tokenizer) AddedTokens() []AddedToken { return append([]AddedToken(nil), t.added...) }

// Specials returns the token strings tokenizer_config.json names.
func (t *Tokenizer) Specials() SpecialTokens { return t.specials }

// BOS, EOS and PAD return the ids of the tokens tokenizer_config.json names
// for these roles; ok is false when none is named. BOS falls back to the
// special token the post-processor prepends.
func (t *Tokenizer) BOS() (int, bool) {
	if id, ok := t.roleID(t.specials.BOS); ok {
		return id, true
	}
	for _, p := range t.post {
		if len(p.prefix) > 0 {
			return p.prefix[0], true
		}
	}
	return -1, false
}

// EOS: see BOS.
func (t *Tokenizer) EOS() (int, bool) { return t.roleID(t.specials.EOS) }

// PAD: see BOS.
func (t *Tokenizer) PAD() (int, bool) { return t.roleID(t.specials.PAD) }

func (t *Tokenizer) roleID(tok string) (int, bool) {
	if tok == "" {
		return -1, false
	}
	return t.ID(tok)
}
