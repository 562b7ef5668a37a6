package rewards

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLabel(t *testing.T) {
	tests := []struct {
		name, raw string
		want      []string
		wantErr   bool
	}{
		{"list", `["assert f(1) == 1", "assert f(2) == 2"]`, []string{"assert f(1) == 1", "assert f(2) == 2"}, false},
		{"string holding a list", `"[\"assert f(1) == 1\"]"`, []string{"assert f(1) == 1"}, false},
		{"object", `{"tests": ["assert g() == 0"], "entry_point": "g"}`, []string{"assert g() == 0"}, false},
		{"number", `3`, nil, true},
		{"string not a list", `"assert f(1) == 1"`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := parseLabel(json.RawMessage(tc.raw))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, l.Tests); !tc.wantErr && diff != "" {
				t.Errorf("tests (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseLabel: any label gives tests or an error, never a panic.
func FuzzParseLabel(f *testing.F) {
	f.Add(`["assert 1 == 1"]`)
	f.Add(`"[\"a\"]"`)
	f.Add(`{"tests": []}`)
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLabel(json.RawMessage(s))
		if err == nil && l.Tests == nil {
			t.Errorf("%q: no error and no tests", s)
		}
	})
}

// TestRewardServer talks to a real server on loopback.
func TestRewardServer(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ServeReward(ctx, ln, NewRewardHandler(r, RewardServerOptions{MaxBodyBytes: 1 << 16}), 5*time.Second)
	}()
	url := "http://" + ln.Addr().String() + "/get_reward"
	post := func(body string) (int, []byte) {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}

	prompt := "<|im_start|>user\nWrite f<|im_end|>\n<|im_start|>assistant\n"
	good := prompt + "```python\ndef f(x):\n    return 2 * x\n```"
	half := prompt + "def f(x):\n    return 2 if x == 1 else 0\n"
	req, _ := json.Marshal(map[string]any{
		"query":   []string{good, half},
		"prompts": []string{prompt, prompt},
		"labels":  []any{[]string{"assert f(1) == 2", "assert f(2) == 4"}, `["assert f(1) == 2", "assert f(2) == 4"]`},
	})
	code, data := post(string(req))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, data)
	}
	var resp rewardResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{1, 0.5}, resp.Rewards); diff != "" {
		t.Errorf("rewards (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(resp.Rewards, resp.Scores); diff != "" {
		t.Errorf("scores differ from rewards:\n%s", diff)
	}

	code, data = post(`{"query": ["x"], "labels": [`)
	if code != http.StatusBadRequest || !bytes.Contains(data, []byte("malformed JSON")) {
		t.Errorf("malformed JSON: status %d, body %s", code, data)
	}
	code, data = post(`{"query": ["x"], "labels": []}`)
	if code != http.StatusBadRequest || !bytes.Contains(data, []byte("labels")) {
		t.Errorf("mismatched lengths: status %d, body %s", code, data)
	}
	big := `{"query": ["` + strings.Repeat("x", 1<<17) + `"], "labels": [[]]}`
	code, data = post(big)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, body %s", code, data)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// startRewardServer serves h on loopback and returns its /get_reward URL.
func startRewardServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeReward(ctx, ln, h, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/get_reward"
}

func postReward(t *testing.T, url string, body any) (int, rewardResponse, string) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out rewardResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, out, string(data)
}

// TestRewardServerQueryOnly speaks the fork's protocol: {"query": [...]}
// only, the tests found by the question's hash; Qwen2.5 and Llama 3
// renderings; binary with the all-pass bonus; <think> stripped.
func TestRewardServerQueryOnly(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	qs := NewQuestionSet()
	qs.Add("oss_0", "Write double(x) returning 2 * x.", []string{"assert double(1) == 2", "assert double(2) == 4"})
	qs.Add("oss_1", "Write neg(x) returning -x.\n", []string{"assert neg(1) == -1"})
	qwen := func(q, a string) string {
		return qwenSystem + "<|im_start|>user\n" + q + "<|im_end|>\n<|im_start|>assistant\n" + a + "<|im_end|>"
	}
	llama := func(q, a string) string {
		return "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + strings.TrimSpace(q) + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" + a + "<|eot_id|>"
	}
	good := "```python\ndef double(x):\n    return 2 * x\n```"
	half := "```python\ndef double(x):\n    return 2\n```"
	think := "<think>\nFirst try:\n```python\ndef neg(x):\n    # a first try, longer than the answer\n    return x\n```\n</think>\n```python\ndef neg(x):\n    return -x\n```"
	queries := []string{qwen("Write double(x) returning 2 * x.", good), qwen("Write double(x) returning 2 * x.", half),
		llama("Write neg(x) returning -x.\n", think)}

	tests := []struct {
		name string
		opts RewardServerOptions
		want []float64
	}{
		// without stripping, the longest block (the one in <think>) is read.
		{"pass rate", RewardServerOptions{}, []float64{1, 0.5, 0}},
		{"binary with the fork's bonus, think stripped", RewardServerOptions{Kind: RewardBinary, AllPassBonus: 0.5, StripThink: true}, []float64{1.5, 0, 1.5}},
		{"pass rate with the bonus", RewardServerOptions{AllPassBonus: 0.5, StripThink: true}, []float64{1.5, 0.5, 1.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Questions = qs
			url := startRewardServer(t, NewRewardHandler(r, tc.opts))
			code, resp, body := postReward(t, url, map[string]any{"query": queries})
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			if diff := cmp.Diff(tc.want, resp.Rewards); diff != "" {
				t.Errorf("rewards (-want +got):\n%s", diff)
			}
		})
	}

	url := startRewardServer(t, NewRewardHandler(r, RewardServerOptions{Questions: qs}))
	code, _, body := postReward(t, url, map[string]any{"query": []string{queries[0], qwen("Write triple(x).", good), qwen("Write quad(x).", good)}})
	if code != http.StatusBadRequest || !strings.Contains(body, "2 of 3 queries ask a question that is not in the dataset (the first is query[1])") {
		t.Errorf("unknown questions: status %d, body %s", code, body)
	}
	code, _, body = postReward(t, url, map[string]any{"query": []string{"no chat markers"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "query[0]") {
		t.Errorf("unparsable query: status %d, body %s", code, body)
	}
	bare := startRewardServer(t, NewRewardHandler(r, RewardServerOptions{}))
	code, _, body = postReward(t, bare, map[string]any{"query": queries})
	if code != http.StatusBadRequest || !strings.Contains(body, "--dataset") {
		t.Errorf("query-only without a dataset: status %d, body %s", code, body)
	}
}

// TestRewardServerRM scores queries with a reward model: each equals the
// model's own score of the parsed [user, assistant] conversation.
func TestRewardServerRM(t *testing.T) {
	rm := tinyRM(t, 7)
	url := startRewardServer(t, NewRewardHandler(nil, RewardServerOptions{RM: rm}))
	queries := []string{
		"<|im_start|>user\nWrite f.<|im_end|>\n<|im_start|>assistant\n" + rmTexts[0] + "<|im_end|>",
		"<|im_start|>user\nWrite f.<|im_end|>\n<|im_start|>assistant\n" + rmTexts[1],
	}
	code, resp, body := postReward(t, url, map[string]any{"query": queries})
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	want, err := rm.ScorePairs(context.Background(), []string{"Write f.", "Write f."}, rmTexts[:2])
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Rewards) != 2 || resp.Rewards[0] != float64(want[0]) || resp.Rewards[1] != float64(want[1]) || want[0] == want[1] {
		t.Errorf("rewards %v, want the model's scores %v (and two different ones)", resp.Rewards, want)
	}
}
