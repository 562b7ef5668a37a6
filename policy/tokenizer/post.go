package tokenizer

import (
	"encoding/json"
	"fmt"
)

// postStep adds special tokens around an encoded single sequence:
// TemplateProcessing's "single" template, or Roberta/Bert's cls … sep.
type postStep struct {
	prefix, suffix []int
}

func (p postStep) apply(ids []int) []int {
	if len(p.prefix) == 0 && len(p.suffix) == 0 {
		return ids
	}
	out := make([]int, 0, len(p.prefix)+len(ids)+len(p.suffix))
	out = append(out, p.prefix...)
	out = append(out, ids...)
	return append(out, p.suffix...)
}

type postJSON struct {
	Type       string            `json:"type"`
	Processors []json.RawMessage `json:"processors"`
	Single     []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int `json:"ids"`
	} `json:"special_tokens"`
	Cls []json.RawMessage `json:"cls"` // ["<s>", 0]
	Sep []json.RawMessage `json:"sep"`
}

// parsePost reads a post_processor. ByteLevel only trims offsets and adds
// nothing to ids.
func parsePost(raw json.RawMessage) ([]postStep, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var pj postJSON
	if err := json.Unmarshal(raw, &pj); err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	switch pj.Type {
	case "ByteLevel":
		return nil, nil
	case "Sequence":
		var steps []postStep
		for i, r := range pj.Processors {
			s, err := parsePost(r)
			if err != nil {
				return nil, fmt.Errorf("post_processor %d: %w", i, err)
			}
			steps = append(steps, s...)
		}
		return steps, nil
	case "TemplateProcessing":
		return parseTemplatePost(pj)
	case "RobertaProcessing", "BertProcessing":
		cls, err := pairID(pj.Cls)
		if err != nil {
			return nil, fmt.Errorf("post_processor cls: %w", err)
		}
		sep, err := pairID(pj.Sep)
		if err != nil {
			return nil, fmt.Errorf("post_processor sep: %w", err)
		}
		return []postStep{{prefix: []int{cls}, suffix: []int{sep}}}, nil
	}
	return nil, fmt.Errorf("post_processor type %q not supported", pj.Type)
}

func parseTemplatePost(pj postJSON) ([]postStep, error) {
	var st postStep
	seenSeq := false
	for _, item := range pj.Single {
		switch {
		case item.Sequence != nil:
			if seenSeq {
				return nil, fmt.Errorf("post_processor: single template has two sequences")
			}
			seenSeq = true
		case item.SpecialToken != nil:
			sp, ok := pj.SpecialTokens[item.SpecialToken.ID]
			if !ok {
				return nil, fmt.Errorf("post_processor: special token %q not declared", item.SpecialToken.ID)
			}
			if seenSeq {
				st.suffix = append(st.suffix, sp.IDs...)
			} else {
				st.prefix = append(st.prefix, sp.IDs...)
			}
		}
	}
	if !seenSeq {
		return nil, fmt.Errorf("post_processor: single template lacks the sequence $A")
	}
	return []postStep{st}, nil
}

func pairID(pair []json.RawMessage) (int, error) {
	if len(pair) != 2 {
		return 0, fmt.Errorf("want [token, id], got %d items", len(pair))
	}
	var id int
	if err := json.Unmarshal(pair[1], &id); err != nil {
		return 0, err
	}
	return id, nil
}
