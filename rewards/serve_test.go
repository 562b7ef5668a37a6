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
