package tokenizer

import (
	"fmt"
	"slices"
)

// byteLevelFiles writes tokenizer.json and tokenizer_config.json contents
// for a trained vocabulary (tokens indexed by id) and its merges.
func byteLevelFiles(tokens []string, merges [][2]string, specials []string, opts TrainOptions) ([]byte, []byte, error) {
	firstSpecial := len(tokens)
	if opts.SpecialsFirst {
		firstSpecial = 0
	}
	bosID := -1
	if opts.BOS != "" {
		i := slices.Index(specials, opts.BOS)
		if i < 0 {
			return nil, nil, fmt.Errorf("BOS %q is not one of the special tokens %q", opts.BOS, specials)
		}
		bosID = firstSpecial + i
	}
	added := make([]AddedToken, len(specials))
	addedDecoder := map[string]any{}
	for i, s := range specials {
		added[i] = AddedToken{ID: firstSpecial + i, Content: s, Special: true}
		addedDecoder[fmt.Sprint(added[i].ID)] = map[string]any{"content": s, "lstrip": false, "normalized": false,
			"rstrip": false, "single_word": false, "special": true}
	}
	data, err := marshalJSON(tokenizerFile(tokens, merges, added, bosID, opts))
	if err != nil {
		return nil, nil, err
	}
	cfg, err := marshalJSON(tokenizerConfig(addedDecoder, opts))
	return data, cfg, err
}

// tokenizerFile lays out tokenizer.json as Qwen2's or Llama-3's.
func tokenizerFile(tokens []string, merges [][2]string, added []AddedToken, bosID int, opts TrainOptions) map[string]any {
	vocab := make(map[string]int, len(tokens))
	for id, t := range tokens {
		vocab[t] = id
	}
	byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}
	var normalizer, mergeList, post any = map[string]any{"type": "NFC"}, merges, byteLevel
	pattern := qwen2Pattern
	if opts.Llama3 {
		normalizer, pattern = nil, llama3Pattern
		lines := make([]string, len(merges))
		for i, m := range merges {
			lines[i] = m[0] + " " + m[1]
		}
		mergeList = lines
	}
	if bosID >= 0 {
		post = map[string]any{"type": "Sequence", "processors": []any{byteLevel, bosTemplate(opts.BOS, bosID)}}
	}
	return map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added,
		"normalizer": normalizer,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]string{"Regex": pattern},
				"behavior": "Isolated", "invert": false},
			byteLevel}},
		"post_processor": post, "decoder": byteLevel,
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "",
			"end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": opts.Llama3,
			"vocab": vocab, "merges": mergeList},
	}
}

// bosTemplate is a TemplateProcessing that prepends bos to single
// sequences and to both sequences of a pair, as Llama-3.1's file does.
func bosTemplate(bos string, id int) map[string]any {
	special := func(typeID int) any {
		return map[string]any{"SpecialToken": map[string]any{"id": bos, "type_id": typeID}}
	}
	seq := func(name string, typeID int) any {
		return map[string]any{"Sequence": map[string]any{"id": name, "type_id": typeID}}
	}
	return map[string]any{
		"type":           "TemplateProcessing",
		"single":         []any{special(0), seq("A", 0)},
		"pair":           []any{special(0), seq("A", 0), special(1), seq("B", 1)},
		"special_tokens": map[string]any{bos: map[string]any{"id": bos, "ids": []int{id}, "tokens": []string{bos}}},
	}
}

// tokenizerConfig is tokenizer_config.json: roles, added tokens, template.
func tokenizerConfig(addedDecoder map[string]any, opts TrainOptions) map[string]any {
	eos, pad := opts.EOS, opts.PAD
	if eos == "" {
		eos = IMEnd
	}
	if pad == "" {
		pad = EndOfText
	}
	var bos any
	if opts.BOS != "" {
		bos = opts.BOS
	}
	cfg := map[string]any{"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": opts.Llama3 && bos != nil, "bos_token": bos,
		"eos_token": eos, "pad_token": pad, "unk_token": nil, "added_tokens_decoder": addedDecoder,
		"clean_up_tokenization_spaces": false, "model_max_length": 32768, "split_special_tokens": false}
	if opts.ChatTemplate != "" {
		cfg["chat_template"] = opts.ChatTemplate
	}
	return cfg
}
