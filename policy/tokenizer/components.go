package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

type patternJSON struct {
	Regex  *string `json:"Regex"`
	String *string `json:"String"`
}

type componentJSON struct {
	Type           string            `json:"type"`
	Normalizers    []json.RawMessage `json:"normalizers"`
	Pretokenizers  []json.RawMessage `json:"pretokenizers"`
	Decoders       []json.RawMessage `json:"decoders"`
	Pattern        patternJSON       `json:"pattern"`
	Behavior       string            `json:"behavior"`
	Invert         bool              `json:"invert"`
	AddPrefixSpace bool              `json:"add_prefix_space"`
	UseRegex       *bool             `json:"use_regex"`
	Prepend        string            `json:"prepend"`
	Content        string            `json:"content"`
	StripLeft      bool              `json:"strip_left"`
	StripRight     bool              `json:"strip_right"`
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// parseNormalizer supports the Unicode forms, Lowercase, Prepend, Replace
// (string pattern), Strip and Sequence; nil means no normalisation.
func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c componentJSON
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch c.Type {
	case "NFC":
		return unicodeForm(norm.NFC), nil
	case "NFD":
		return unicodeForm(norm.NFD), nil
	case "NFKC":
		return unicodeForm(norm.NFKC), nil
	case "NFKD":
		return unicodeForm(norm.NFKD), nil
	case "Lowercase":
		return strings.ToLower, nil
	case "Prepend":
		return func(s string) string {
			if s == "" {
				return s
			}
			return c.Prepend + s
		}, nil
	case "Replace":
		if c.Pattern.String == nil {
			return nil, fmt.Errorf("normalizer Replace: only string patterns are supported")
		}
		old := *c.Pattern.String
		return func(s string) string { return strings.ReplaceAll(s, old, c.Content) }, nil
	case "Strip":
		return func(s string) string {
			if c.StripLeft {
				s = strings.TrimLeftFunc(s, isSpace)
			}
			if c.StripRight {
				s = strings.TrimRightFunc(s, isSpace)
			}
			return s
		}, nil
	case "Sequence":
		var ns []normalizer
		for i, r := range c.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, fmt.Errorf("normalizer %d: %w", i, err)
			}
			if n != nil {
				ns = append(ns, n)
			}
		}
		return chainNormalizers(ns), nil
	}
	return nil, fmt.Errorf("normalizer type %q not supported", c.Type)
}

// parsePreTokenizer supports Split, ByteLevel and Sequence. byteLevel
// reports whether a ByteLevel step is present, i.e. whether pieces are
// spelled with the byte-level alphabet before BPE.
func parsePreTokenizer(raw json.RawMessage) (steps []preStep, byteLevel bool, err error) {
	if isNull(raw) {
		return nil, false, nil
	}
	var c componentJSON
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch c.Type {
	case "Sequence":
		for i, r := range c.Pretokenizers {
			sub, bl, err := parsePreTokenizer(r)
			if err != nil {
				return nil, false, fmt.Errorf("pre_tokenizer %d: %w", i, err)
			}
			steps = append(steps, sub...)
			byteLevel = byteLevel || bl
		}
		return steps, byteLevel, nil
	case "Split":
		st, err := parseSplit(c)
		if err != nil {
			return nil, false, err
		}
		return []preStep{st}, false, nil
	case "ByteLevel":
		st := &byteLevelStep{addPrefixSpace: c.AddPrefixSpace}
		if c.UseRegex == nil || *c.UseRegex {
			if st.split, err = newRegexSplit(gpt2Pattern, behaviorIsolated, false); err != nil {
				return nil, false, err
			}
		}
		return []preStep{st}, true, nil
	}
	return nil, false, fmt.Errorf("pre_tokenizer type %q not supported", c.Type)
}

func parseSplit(c componentJSON) (*splitStep, error) {
	b, err := parseBehavior(c.Behavior)
	if err != nil {
		return nil, fmt.Errorf("pre_tokenizer Split: %w", err)
	}
	switch {
	case c.Pattern.Regex != nil:
		return newRegexSplit(*c.Pattern.Regex, b, c.Invert)
	case c.Pattern.String != nil && *c.Pattern.String != "":
		return &splitStep{literal: *c.Pattern.String, behavior: b, invert: c.Invert}, nil
	}
	return nil, fmt.Errorf("pre_tokenizer Split: missing pattern")
}

// fastScanDigits reports whether the pre-tokenizer is exactly a Qwen2 or
// Llama-3 split (isolated) followed by at most a plain ByteLevel step.
func fastScanDigits(steps []preStep) int {
	if len(steps) == 0 || len(steps) > 2 {
		return 0
	}
	sp, ok := steps[0].(*splitStep)
	if !ok || sp.digits == 0 || sp.invert || sp.behavior != behaviorIsolated {
		return 0
	}
	if len(steps) == 2 {
		bl, ok := steps[1].(*byteLevelStep)
		if !ok || bl.addPrefixSpace || bl.split != nil {
			return 0
		}
	}
	return sp.digits
}

// parseDecoder accepts ByteLevel (also inside a Sequence) or none.
func parseDecoder(raw json.RawMessage) (byteLevel bool, err error) {
	if isNull(raw) {
		return false, nil
	}
	var c componentJSON
	if err := json.Unmarshal(raw, &c); err != nil {
		return false, fmt.Errorf("decoder: %w", err)
	}
	switch c.Type {
	case "ByteLevel":
		return true, nil
	case "Sequence":
		for i, r := range c.Decoders {
			bl, err := parseDecoder(r)
			if err != nil {
				return false, fmt.Errorf("decoder %d: %w", i, err)
			}
			byteLevel = byteLevel || bl
		}
		return byteLevel, nil
	}
	return false, fmt.Errorf("decoder type %q not supported", c.Type)
}

// parseSpecials reads bos/eos/pad/unk from tokenizer_config.json, given
// either as strings or as {"content": …} objects.
func parseSpecials(cfg []byte) (SpecialTokens, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &raw); err != nil {
		return SpecialTokens{}, fmt.Errorf("tokenizer_config.json: %w", err)
	}
	get := func(key string) string {
		r := raw[key]
		var s string
		if json.Unmarshal(r, &s) == nil {
			return s
		}
		var obj struct {
			Content string `json:"content"`
		}
		if json.Unmarshal(r, &obj) == nil {
			return obj.Content
		}
		return ""
	}
	return SpecialTokens{BOS: get("bos_token"), EOS: get("eos_token"), PAD: get("pad_token"), UNK: get("unk_token")}, nil
}
