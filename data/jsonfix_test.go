package data

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecoverJSON(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  string // compact JSON; empty means an error is expected
	}{
		{"plain", `{"question":"q","tests":["assert f(1)==1"]}`, `{"question":"q","tests":["assert f(1)==1"]}`},
		{"prose around", "Sure! Here it is:\n{\"question\": \"q\", \"tests\": []}\nHope this helps.", `{"question":"q","tests":[]}`},
		{"json fence", "```json\n{\"question\": \"q\", \"tests\": [\"assert 1\"]}\n```", `{"question":"q","tests":["assert 1"]}`},
		{"fence preferred over earlier braces", "Use {x} here.\n```json\n{\"a\": 1}\n```", `{"a":1}`},
		{"unterminated fence", "```json\n{\"a\": [1, 2]}", `{"a":[1,2]}`},
		{"truncated in string", `{"question": "q", "tests": ["assert f(1) == 1", "assert f(2) =`, `{"question":"q","tests":["assert f(1) == 1","assert f(2) ="]}`},
		{"truncated after comma", `{"question": "q", "tests": ["assert a", `, `{"question":"q","tests":["assert a"]}`},
		{"truncated in key", `{"question": "q", "tes`, `{"question":"q"}`},
		{"truncated after colon", `{"question": "q", "tests":`, `{"question":"q"}`},
		{"truncated literal", `{"a": 1, "b": tru`, `{"a":1}`},
		{"dangling escape", `{"a": "x\`, `{"a":"x"}`},
		{"partial unicode escape", `{"a": "x\u00`, `{"a":"x"}`},
		{"trailing comma", `{"a": [1, 2,], }`, `{"a":[1,2]}`},
		{"nested truncated", `{"a": {"b": [1, {"c": 2`, `{"a":{"b":[1,{"c":2}]}}`},
		{"escaped quote inside", `{"a": "say \"hi\"", "b": "x`, `{"a":"say \"hi\"","b":"x"}`},
		{"raw newline in string", "{\"question\": \"line one\nline two\", \"tests\": []}", `{"question":"line one\nline two","tests":[]}`},
		{"python escape kept", `{"tests": ["assert f('it\'s') == 1"]}`, `{"tests":["assert f('it\\'s') == 1"]}`},
		{"raw tab and truncation", "{\"a\": \"x\ty\", \"b\": [\"p\tq", `{"a":"x\ty","b":["p\tq"]}`},
		{"no object", "I cannot help with that.", ""},
		{"empty", "", ""},
		{"array only", `["assert 1"]`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RecoverJSON(tc.reply)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("RecoverJSON(%q) = %s, want error", tc.reply, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("RecoverJSON(%q): %v", tc.reply, err)
			}
			if diff := cmp.Diff(tc.want, compact(t, got)); diff != "" {
				t.Errorf("RecoverJSON(%q) (-want +got):\n%s", tc.reply, diff)
			}
		})
	}
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("result is not JSON: %v: %s", err, raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestParseSynthReply(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		want    SynthReply
		wantErr string
	}{
		{"keeps asserts only", `{"question": " Add. ", "tests": ["assert add(1, 2) == 3", "print(add(1, 2))", 7, " assert(add(0, 0) == 0)"]}`,
			SynthReply{Question: "Add.", Tests: []string{"assert add(1, 2) == 3", "assert(add(0, 0) == 0)"}}, ""},
		{"no question", `{"tests": ["assert 1"]}`, SynthReply{}, "no question"},
		{"no asserts", `{"question": "q", "tests": ["x = 1"]}`, SynthReply{}, "no assert"},
		{"tests not a list", `{"question": "q", "tests": "assert 1"}`, SynthReply{}, "shape"},
		{"partial last test dropped", `{"question": "q", "tests": ["assert f(1) == 1", "assert f('ab`,
			SynthReply{Question: "q", Tests: []string{"assert f(1) == 1"}}, ""},
		{"complete tests kept when cut after them", `{"question": "q", "tests": ["assert f(1) == 1", "assert f(2) == 2"`,
			SynthReply{Question: "q", Tests: []string{"assert f(1) == 1", "assert f(2) == 2"}}, ""},
		{"cut inside question", `{"tests": ["assert f(1) == 1"], "question": "Write f th`, SynthReply{}, "inside the question"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSynthReply(tc.reply)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzRecoverJSON checks that whatever the reply, a recovered value is a
// valid JSON object, and that a valid object survives any truncation
// as a valid object.
func FuzzRecoverJSON(f *testing.F) {
	for _, s := range []string{
		`{"question":"q","tests":["assert f(1)==1"]}`, "```json\n{\"a\": [1,\n", `{"a": "x\u00`, `{"a": {"b": [1, {"c": 2`,
		`{]`, `{"a":1}}`, "``````", `{"a": "\\`,
	} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, reply string, cut int) {
		if r, err := ParseSynthReply(reply); err == nil {
			if r.Question == "" || len(r.Tests) == 0 {
				t.Fatalf("ParseSynthReply(%q) accepted %+v", reply, r)
			}
			for _, tc := range r.Tests {
				if !strings.HasPrefix(tc, "assert") {
					t.Fatalf("ParseSynthReply(%q) kept non-assert %q", reply, tc)
				}
			}
		}
		if raw, err := RecoverJSON(reply); err == nil {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("RecoverJSON(%q) returned invalid object %q: %v", reply, raw, err)
			}
		}
		var m map[string]any
		if json.Unmarshal([]byte(reply), &m) != nil || cut <= strings.IndexByte(reply, '{') || cut > len(reply) {
			return
		}
		raw, err := RecoverJSON(reply[:cut])
		if err != nil {
			t.Fatalf("truncated object %q not recovered: %v", reply[:cut], err)
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("truncated %q gave invalid %q", reply[:cut], raw)
		}
	})
}
