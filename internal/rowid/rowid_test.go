package rowid

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, text string
		num            bool
		bad            bool
	}{
		{name: "string", in: `"oss_0"`, text: "oss_0"},
		{name: "numeric string stays a string", in: `"11"`, text: "11"},
		{name: "number", in: `11`, text: "11", num: true},
		{name: "negative float", in: `-1.5e3`, text: "-1.5e3", num: true},
		{name: "big number kept as written", in: `123456789012345678901234567890`, text: "123456789012345678901234567890", num: true},
		{name: "escapes", in: `"a\"b\u00e9"`, text: "a\"bé"},
		{name: "null", in: `null`},
		{name: "object", in: `{"a":1}`, bad: true},
		{name: "bool", in: `true`, bad: true},
		{name: "array", in: `[1]`, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var row struct {
				ID ID `json:"id"`
			}
			err := json.Unmarshal([]byte(`{"id":`+tc.in+`}`), &row)
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), "string or a number") {
					t.Fatalf("err = %v, want one naming the allowed kinds", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if row.ID.String() != tc.text || row.ID.IsNumber() != tc.num {
				t.Errorf("got %q (number %v), want %q (number %v)", row.ID, row.ID.IsNumber(), tc.text, tc.num)
			}
			out, err := json.Marshal(row)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"id":` + strings.ReplaceAll(tc.in, `\u00e9`, "é") + `}`; string(out) != want {
				t.Errorf("written back as %s, want %s", out, want)
			}
		})
	}
}

// FuzzID: any id that reads back writes out to something that reads back
// to the same id.
func FuzzID(f *testing.F) {
	for _, s := range []string{`"oss_0"`, `11`, `-0.5`, `"11"`, `null`, `"\ud800"`, `1e400`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var id ID
		if err := json.Unmarshal([]byte(in), &id); err != nil {
			return
		}
		out, err := json.Marshal(id)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var back ID
		if err := json.Unmarshal(out, &back); err != nil || back != id {
			t.Fatalf("%q -> %s -> %v (%v)", in, out, back, err)
		}
	})
}
