package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Load reads a tokenizer.json or tokenizer.json.gz file. If a
// tokenizer_config.json lies beside it, its special-token roles are read too.
func Load(path string) (*Tokenizer, error) {
	data, err := readMaybeGzip(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	cfg, err := os.ReadFile(filepath.Join(filepath.Dir(path), "tokenizer_config.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := Parse(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	return t, nil
}

// LoadDir reads a Hugging Face model directory's tokenizer.json (or
// tokenizer.json.gz) and, when present, tokenizer_config.json.
func LoadDir(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		path += ".gz"
	}
	return Load(path)
}

func readMaybeGzip(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

type fileJSON struct {
	AddedTokens   []AddedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         modelJSON       `json:"model"`
}

type modelJSON struct {
	Type         string          `json:"type"`
	Vocab        map[string]int  `json:"vocab"`
	Merges       json.RawMessage `json:"merges"`
	UnkToken     *string         `json:"unk_token"`
	FuseUnk      bool            `json:"fuse_unk"`
	ByteFallback bool            `json:"byte_fallback"`
	IgnoreMerges bool            `json:"ignore_merges"`
	Prefix       *string         `json:"continuing_subword_prefix"`
	Suffix       *string         `json:"end_of_word_suffix"`
}

// Parse builds a Tokenizer from the contents of tokenizer.json and,
// optionally (nil), tokenizer_config.json.
func Parse(tokenizerJSON, configJSON []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(tokenizerJSON, &f); err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	if err := checkIDs(f.Model.Vocab, f.AddedTokens); err != nil {
		return nil, err
	}
	model, err := buildModel(f.Model)
	if err != nil {
		return nil, err
	}
	t := &Tokenizer{model: model, fileJSON: tokenizerJSON, configJSON: configJSON}
	if t.normalize, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.pre, t.byteLevel, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	t.fastScan = fastScanDigits(t.pre)
	if t.post, err = parsePost(f.PostProcessor); err != nil {
		return nil, err
	}
	byteDecoder, err := parseDecoder(f.Decoder)
	if err != nil {
		return nil, err
	}
	t.joinSpace = len(f.Decoder) == 0 || string(f.Decoder) == "null"
	if err := t.setAdded(f.AddedTokens); err != nil {
		return nil, err
	}
	t.buildTables(byteDecoder)
	if len(configJSON) > 0 {
		if t.specials, err = parseSpecials(configJSON); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func buildModel(mj modelJSON) (*bpeModel, error) {
	if mj.Type != "" && mj.Type != "BPE" {
		return nil, fmt.Errorf("model type %q not supported (only BPE)", mj.Type)
	}
	if len(mj.Vocab) == 0 {
		return nil, fmt.Errorf("model has an empty vocabulary")
	}
	merges, err := parseMerges(mj.Merges)
	if err != nil {
		return nil, err
	}
	m := &bpeModel{vocab: mj.Vocab, unkID: -1, fuseUnk: mj.FuseUnk, byteFallback: mj.ByteFallback,
		ignoreMerges: mj.IgnoreMerges, merges: make(map[uint64]mergeRule, len(merges)),
		cache: make(map[string][]int)}
	if mj.Prefix != nil {
		m.prefix = *mj.Prefix
	}
	if mj.Suffix != nil {
		m.suffix = *mj.Suffix
	}
	if mj.UnkToken != nil {
		id, ok := mj.Vocab[*mj.UnkToken]
		if !ok {
			return nil, fmt.Errorf("unk_token %q not in vocabulary", *mj.UnkToken)
		}
		m.unkID = id
	}
	if err := m.setMerges(merges); err != nil {
		return nil, err
	}
	m.initByteIDs()
	return m, nil
}

// parseMerges accepts both formats: "a b" strings (older files) and
// ["a", "b"] pairs (tokenizers ≥ 0.20, needed when tokens contain spaces).
// The first element decides the format of the whole list.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '[' {
		return nil, fmt.Errorf("merges: want a list")
	}
	if first := bytes.TrimSpace(raw[1:]); len(first) > 0 && first[0] == '[' {
		var pairs [][]string
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return nil, fmt.Errorf("merges: want a list of [a, b] pairs: %w", err)
		}
		out := make([][2]string, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("merge %d: want 2 tokens, got %d", i, len(p))
			}
			out[i] = [2]string{p[0], p[1]}
		}
		return out, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, fmt.Errorf("merges: want a list of \"a b\" strings: %w", err)
	}
	out := make([][2]string, len(lines))
	for i, s := range lines {
		a, b, ok := strings.Cut(s, " ")
		if !ok || strings.Contains(b, " ") {
			return nil, fmt.Errorf("merge %d: %q is not two space-separated tokens", i, s)
		}
		out[i] = [2]string{a, b}
	}
	return out, nil
}

// setAdded registers added tokens and builds the two matchers: tokens with
// normalized=false match the raw text, the others the normalised text.
func (t *Tokenizer) setAdded(added []AddedToken) error {
	t.added = added
	t.addedByStr = make(map[string]int, len(added))
	var raw, plain, norm []AddedToken
	for _, a := range added {
		t.addedByStr[a.Content] = a.ID
		if a.Normalized && t.normalize != nil {
			a.Content = t.normalize(a.Content)
			norm = append(norm, a)
		} else if a.Normalized {
			norm = append(norm, a)
		} else {
			raw = append(raw, a)
			if !a.Special {
				plain = append(plain, a)
			}
		}
	}
	if len(raw) > 0 {
		t.rawAdded = newAddedMatcher(raw)
	}
	if len(plain) > 0 {
		t.rawPlain = newAddedMatcher(plain)
	}
	if len(norm) > 0 {
		t.normAdded = newAddedMatcher(norm)
	}
	return nil
}

// maxID bounds token ids (the largest real vocabularies have ~256k
// entries); a corrupt file must not make Parse allocate gigabytes.
const maxID = 1 << 24

func checkIDs(vocab map[string]int, added []AddedToken) error {
	for tok, id := range vocab {
		if id < 0 || id >= maxID {
			return fmt.Errorf("vocabulary token %q has id %d outside [0, %d)", tok, id, maxID)
		}
	}
	for _, a := range added {
		if a.ID < 0 || a.ID >= maxID {
			return fmt.Errorf("added token %q has id %d outside [0, %d)", a.Content, a.ID, maxID)
		}
	}
	return nil
}

// buildTables fills the id-indexed token, decoded-bytes and special tables.
func (t *Tokenizer) buildTables(byteDecoder bool) {
	n := 0
	for _, id := range t.model.vocab {
		n = max(n, id+1)
	}
	for _, a := range t.added {
		n = max(n, a.ID+1)
	}
	t.tokens = make([]string, n)
	t.pieces = make([][]byte, n)
	t.special = make([]bool, n)
	set := func(id int, tok string) {
		t.tokens[id] = tok
		if b, ok := byteLevelBytes(tok); byteDecoder && ok {
			t.pieces[id] = b
		} else {
			t.pieces[id] = []byte(tok)
		}
	}
	for tok, id := range t.model.vocab {
		set(id, tok)
	}
	for _, a := range t.added {
		set(a.ID, a.Content)
		t.special[a.ID] = a.Special
	}
}
