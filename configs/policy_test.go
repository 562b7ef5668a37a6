package configs

import (
	"strings"
	"testing"
)

func TestPolicyRecipeKeys(t *testing.T) {
	const base = "model: {init_config: m.json}\nprompt_data: [p.jsonl]\n"
	tests := []struct {
		name, yaml string
		bad        []string // keys the error must name; none: valid
	}{
		{"remote without a URL", "reward: remote\n", []string{`"remote_rm_url"`}},
		{"remote with a bad URL", "reward: remote\nremote_rm_url: localhost:5000\n", []string{`"remote_rm_url"`}},
		{"remote with rule: URLs", "reward: remote\nremote_rm_url: rule:http://a:5000/get_reward,http://b:5000/get_reward\n", nil},
		{"bad remote limits", "remote_rm_timeout: 0s\nremote_rm_retries: -1\n", []string{`"remote_rm_timeout"`, `"remote_rm_retries"`}},
		{"loss aggregation", "loss_agg: sum\n", []string{`"loss_agg"`}},
		{"published aggregation", "loss_agg: token_mean\n", nil},
		{"group_norm is grpo", "advantage_estimator: group_norm\nn_samples_per_prompt: 1\n", []string{`"n_samples_per_prompt"`}},
		{"group_norm accepted", "advantage_estimator: group_norm\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultPolicy()
			err := Load(&c, Sources{File: writeFile(t, base+tc.yaml), Env: noEnv})
			if len(tc.bad) == 0 && err != nil {
				t.Fatalf("error %v", err)
			}
			for _, k := range tc.bad {
				if err == nil || !strings.Contains(err.Error(), k) {
					t.Errorf("error %v does not name %s", err, k)
				}
			}
		})
	}
}

// FuzzRemoteURLs: any remote_rm_url gives http(s) URLs without the rule:
// prefix, or an error; never a panic.
func FuzzRemoteURLs(f *testing.F) {
	f.Add("rule:http://127.0.0.1:5000/get_reward,http://h:1/x")
	f.Add(",,rule:")
	f.Add("http://")
	f.Add("HTTP://H/x")
	f.Fuzz(func(t *testing.T, s string) {
		urls, err := RemoteURLs(s)
		if err != nil {
			return
		}
		if len(urls) == 0 {
			t.Fatalf("%q: no URL and no error", s)
		}
		for _, u := range urls {
			l := strings.ToLower(u)
			if strings.HasPrefix(u, "rule:") || !(strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")) {
				t.Errorf("%q gave %q", s, u)
			}
		}
	})
}
