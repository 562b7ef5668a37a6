package rewards

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const qwenSystem = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"

func TestParseQuery(t *testing.T) {
	sys := QueryMessage{"system", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."}
	tests := []struct {
		name, query string
		want        []QueryMessage
		wantErr     bool
	}{
		{"qwen closed", qwenSystem + "<|im_start|>user\nWrite f.\n<|im_end|>\n<|im_start|>assistant\n```python\nx = 1\n```<|im_end|>",
			[]QueryMessage{sys, {"user", "Write f.\n"}, {"assistant", "```python\nx = 1\n```"}}, false},
		{"qwen cut at the length limit", "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\ndef f(",
			[]QueryMessage{{"user", "Q"}, {"assistant", "def f("}}, false},
		{"qwen padded both sides", "<|endoftext|><|endoftext|><|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA<|endoftext|><|endoftext|>",
			[]QueryMessage{{"user", "Q"}, {"assistant", "A"}}, false},
		{"qwen no response", "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
			[]QueryMessage{{"user", "Q"}, {"assistant", ""}}, false},
		{"llama3", "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>" +
			"<|start_header_id|>assistant<|end_header_id|>\n\nA\nB<|eot_id|>",
			[]QueryMessage{{"system", "S"}, {"user", "Q"}, {"assistant", "A\nB"}}, false},
		{"llama3 cut", "<|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA<|end_of_text|>",
			[]QueryMessage{{"user", "Q"}, {"assistant", "A"}}, false},
		{"plain text", "Question: Q\nAnswer: A", nil, true},
		{"qwen without a role line", "<|im_start|>user", nil, true},
		{"llama3 without a header end", "<|start_header_id|>user\n\nQ", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseQuery(tc.query)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuestionAndResponse(t *testing.T) {
	q, r, err := QuestionAndResponse([]QueryMessage{{"system", "S"}, {"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}, {"assistant", "A2"}})
	if err != nil || q != "Q1" || r != "A1" {
		t.Errorf("got %q, %q, %v; want the first user turn and the turn after it", q, r, err)
	}
	if q, r, err = QuestionAndResponse([]QueryMessage{{"user", "Q"}}); err != nil || q != "Q" || r != "" {
		t.Errorf("no response: %q, %q, %v", q, r, err)
	}
	if _, _, err = QuestionAndResponse([]QueryMessage{{"system", "S"}}); err == nil {
		t.Error("no user turn: no error")
	}
}

// FuzzParseQuery: any text gives turns or an error, never a panic, and no
// parsed content holds the end-of-turn token.
func FuzzParseQuery(f *testing.F) {
	f.Add(qwenSystem + "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA")
	f.Add("<|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>")
	f.Add("<|im_start|><|start_header_id|>")
	f.Fuzz(func(t *testing.T, s string) {
		msgs, err := ParseQuery(s)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if strings.Contains(m.Content, qwenEnd) && !strings.Contains(s, llamaStart) {
				t.Errorf("%q: content %q holds %s", s, m.Content, qwenEnd)
			}
		}
	})
}

func TestQuestionSet(t *testing.T) {
	qs := NewQuestionSet()
	qs.Add("a", "Write f.\n", []string{"assert f() == 1"})
	qs.Add("b", "Write g.", []string{"assert g() == 2"})
	qs.Add("c", "Write g.", []string{"assert g() == 3"})
	tests := []struct {
		name, question, wantID string
		ok                     bool
	}{
		{"exact", "Write f.\n", "a", true},
		{"trimmed by the template", "Write f.", "a", true},
		{"first of duplicates", "Write g.", "b", true},
		{"unknown", "Write h.", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := qs.Lookup(tc.question)
			if ok != tc.ok || got.ID != tc.wantID {
				t.Errorf("Lookup(%q) = %+v, %v", tc.question, got, ok)
			}
		})
	}
	if qs.Duplicates != 1 {
		t.Errorf("duplicates %d, want 1", qs.Duplicates)
	}
}

func TestStripThink(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"one block", "<think>plan\nmore</think>\n```python\nx = 1\n```", "\n```python\nx = 1\n```"},
		{"two blocks, shortest match", "<think>a</think>keep<think>b</think>", "keep"},
		{"unclosed kept", "<think>no end ```python\nx = 1\n```", "<think>no end ```python\nx = 1\n```"},
		{"none", "x = 1", "x = 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StripThink(tc.in); got != tc.want {
				t.Errorf("StripThink(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestServedReward(t *testing.T) {
	all := Result{Passed: 4, Total: 4, PassRate: 1, AllPassed: true}
	half := Result{Passed: 2, Total: 4, PassRate: 0.5}
	tests := []struct {
		name  string
		r     Result
		kind  RewardKind
		bonus float64
		want  float64
	}{
		{"pass rate", half, RewardPassRate, 0.5, 0.5},
		{"pass rate all with the fork's bonus", all, RewardPassRate, 0.5, 1.5},
		{"binary all with the fork's bonus", all, RewardBinary, 0.5, 1.5},
		{"binary half", half, RewardBinary, 0.5, 0},
		{"no bonus", all, RewardBinary, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ServedReward(tc.r, tc.kind, tc.bonus); got != tc.want {
				t.Errorf("ServedReward = %v, want %v", got, tc.want)
			}
		})
	}
}
