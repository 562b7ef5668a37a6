package policy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigValidationNamesFields(t *testing.T) {
	base := `"model_type":"qwen2","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,` +
		`"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"rms_norm_eps":1e-6,"rope_theta":10000`
	for _, tc := range []struct {
		name string
		json string
		want []string // every key that must be named; none means valid
	}{
		{"valid", `{` + base + `}`, nil},
		{"bad type", `{` + strings.Replace(base, `"qwen2"`, `"gpt2"`, 1) + `}`, []string{"model_type"}},
		{"kv heads", `{` + strings.Replace(base, `"num_key_value_heads":2`, `"num_key_value_heads":3`, 1) + `}`, []string{"num_key_value_heads"}},
		{"several at once", `{"model_type":"llama","hidden_size":0,"rms_norm_eps":0}`,
			[]string{"hidden_size", "intermediate_size", "num_hidden_layers", "vocab_size", "rms_norm_eps", "rope_theta"}},
		{"rope type", `{` + base + `,"rope_scaling":{"rope_type":"yarn","factor":4}}`, []string{"rope_scaling.rope_type"}},
		{"llama3 fields", `{` + base + `,"rope_scaling":{"rope_type":"llama3","factor":8}}`,
			[]string{"low_freq_factor", "original_max_position_embeddings"}},
		{"sliding window", `{` + base + `,"use_sliding_window":true}`, []string{"use_sliding_window"}},
		{"activation", `{` + base + `,"hidden_act":"gelu"}`, []string{"hidden_act"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid config accepted")
			}
			for _, key := range tc.want {
				if !strings.Contains(err.Error(), key) {
					t.Errorf("error does not name %s: %v", key, err)
				}
			}
		})
	}
}

func TestConfigRoundTripKeepsUnknownKeys(t *testing.T) {
	in := `{"model_type":"qwen2","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,` +
		`"num_attention_heads":4,"vocab_size":100,"rms_norm_eps":1e-6,"rope_theta":10000,` +
		`"eos_token_id":[5,6],"custom":{"a":[1,2]},"transformers_version":"4.44.0",` +
		`"rope_scaling":{"rope_type":"linear","factor":2,"note":"x"}}`
	c, err := ParseConfig([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ParseConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if compact(t, c2.Extra["custom"]) != `{"a":[1,2]}` || string(c2.Extra["transformers_version"]) != `"4.44.0"` {
		t.Errorf("unknown keys lost: %s", out)
	}
	if string(c2.RopeScaling.Extra["note"]) != `"x"` || c2.RopeScaling.Factor != 2 {
		t.Errorf("rope_scaling keys lost: %s", out)
	}
	if len(c2.EOSTokenID) != 2 || c2.NumKeyValueHeads != 4 || c2.HeadDimension() != 16 {
		t.Errorf("known fields changed: %+v", c2)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"model_type":"llama","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"rms_norm_eps":1e-5,"rope_theta":10000}`))
	f.Add([]byte(`{"eos_token_id":null,"rope_scaling":{"type":"linear","factor":2}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("valid config does not marshal: %v", err)
		}
		if _, err := ParseConfig(out); err != nil {
			t.Fatalf("marshalled config does not parse: %v\n%s", err, out)
		}
	})
}

func compact(t *testing.T, raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
