package data

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// rowTemplates are one valid line of each row type, with %s for the id.
var rowTemplates = map[string]string{
	"seed":     `{"id":%s,"program":"def f(): return 1"}`,
	"question": `{"id":%s,"question":"q","tests":["assert f() == 1"]}`,
	"filtered": `{"id":%s,"question":"q","tests":["assert f() == 1"],"original_test_count":1}`,
	"acecode":  `{"id":%s,"source":"s","question":"q","test_cases":[],"inferences":[],"context_messages":[]}`,
	"pair":     `{"id":%s,"model_name":"m","question":"q","chosen":"a","rejected":"b","chosen_pass_rate":1,"rejected_pass_rate":0.5,"chosen_completion_id":0,"rejected_completion_id":1}`,
}

// roundTrip reads one line as the named row type with DecodeJSONL and
// writes it back; it returns the id written, or ok=false when the line
// was refused.
func roundTrip(t *testing.T, kind, line string) (json.RawMessage, bool) {
	t.Helper()
	var out []byte
	decode := func(row any) {
		out, _ = json.Marshal(row)
	}
	var bad []*LineError
	var err error
	r := strings.NewReader(line + "\n")
	switch kind {
	case "seed":
		bad, err = DecodeJSONL(context.Background(), r, "in", func(_ int, row SeedRow) error { decode(row); return nil })
	case "question":
		bad, err = DecodeJSONL(context.Background(), r, "in", func(_ int, row QuestionRow) error { decode(row); return nil })
	case "filtered":
		bad, err = DecodeJSONL(context.Background(), r, "in", func(_ int, row FilteredRow) error { decode(row); return nil })
	case "acecode":
		bad, err = DecodeJSONL(context.Background(), r, "in", func(_ int, row AceCodeRow) error { decode(row); return nil })
	case "pair":
		bad, err = DecodeJSONL(context.Background(), r, "in", func(_ int, row PairRow) error { decode(row); return nil })
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 || out == nil {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(out, &obj); err != nil {
		t.Fatalf("written row %s: %v", out, err)
	}
	return obj["id"], true
}

func TestRowIDsKeepTheirKind(t *testing.T) {
	for kind, tmpl := range rowTemplates {
		for _, id := range []string{`"oss_0"`, `11`, `"11"`, `-2.5`} {
			got, ok := roundTrip(t, kind, fmt.Sprintf(tmpl, id))
			if !ok || string(got) != id {
				t.Errorf("%s row with id %s: written back as %s (read: %v)", kind, id, got, ok)
			}
		}
		if _, ok := roundTrip(t, kind, fmt.Sprintf(tmpl, `{"a":1}`)); ok {
			t.Errorf("%s row with an object id was accepted", kind)
		}
	}
}

// FuzzRowIDs: whatever id a row reader accepts, the row writes it back as
// the same JSON value (a number stays a number, a string a string).
func FuzzRowIDs(f *testing.F) {
	for _, id := range []string{`"oss_0"`, `11`, `"11"`, `1e400`, `-0`, `"\u00e9"`, `null`, `true`, `[1]`} {
		f.Add("question", id)
		f.Add("acecode", id)
		f.Add("pair", id)
	}
	f.Fuzz(func(t *testing.T, kind, id string) {
		tmpl, ok := rowTemplates[kind]
		if !ok || strings.ContainsAny(id, "\n\r") {
			return
		}
		got, ok := roundTrip(t, kind, fmt.Sprintf(tmpl, id))
		if !ok {
			return
		}
		var want any
		if json.Unmarshal([]byte(id), &want) != nil || want == nil {
			return // not a value on its own (or null, written as "")
		}
		if !sameJSON([]byte(id), got) {
			t.Errorf("%s row with id %s: written back as %s", kind, id, got)
		}
	})
}

func sameJSON(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	return da.Decode(&x) == nil && db.Decode(&y) == nil && reflect.DeepEqual(x, y)
}
