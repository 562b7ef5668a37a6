package tokenizer

import (
	"encoding/json"
	"strings"
)

// cleanUpReplacements is transformers' clean_up_tokenization, applied in
// this order: spaces before punctuation and English contractions removed.
var cleanUpReplacements = [][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

// CleanUpTokenizationSpaces reproduces transformers' decode post-processing
// for tokenizers whose config sets clean_up_tokenization_spaces (Llama-3
// does). It is lossy (" ." becomes "."), so Decode never applies it itself;
// callers comparing with transformers' decode() do.
func CleanUpTokenizationSpaces(s string) string {
	for _, r := range cleanUpReplacements {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

// CleanUpSpaces reports tokenizer_config.json's clean_up_tokenization_spaces
// (false when absent).
func (t *Tokenizer) CleanUpSpaces() bool {
	var cfg struct {
		CleanUp bool `json:"clean_up_tokenization_spaces"`
	}
	if len(t.configJSON) == 0 || json.Unmarshal(t.configJSON, &cfg) != nil {
		return false
	}
	return cfg.CleanUp
}
