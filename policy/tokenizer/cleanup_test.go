package tokenizer

import "testing"

func TestCleanUpTokenizationSpaces(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello , world !", "Hello, world!"},
		{"I do n't know . You 're right ?", "I don't know. You're right?"},
		{"it ' s", "it's"},
		{"x = a . b", "x = a. b"},
		{"plain", "plain"},
	}
	for _, tc := range tests {
		if got := CleanUpTokenizationSpaces(tc.in); got != tc.want {
			t.Errorf("CleanUpTokenizationSpaces(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if qwen2(t).CleanUpSpaces() {
		t.Errorf("Qwen2 config sets clean_up_tokenization_spaces false")
	}
}
