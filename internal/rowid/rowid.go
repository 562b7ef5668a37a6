// Package rowid is the id of a JSON row as it came: a JSON string or a
// JSON number. Commands that read rows (exec, sample, eval, data) accept
// either and write it back the way it came, so "oss_0" stays a string and
// MBPP's 11 stays a number.
package rowid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ID is a string or a number id. The zero value is no id.
type ID struct {
	text string // the string's value, or the number as written
	num  bool   // the row wrote a number
}

// String makes a string id.
func String(s string) ID { return ID{text: s} }

// Number makes a number id from its JSON text (e.g. "11", "-3", "1e3").
func Number(text string) (ID, error) {
	var n json.Number
	if err := json.Unmarshal([]byte(text), &n); err != nil || n.String() != text {
		return ID{}, fmt.Errorf("rowid: %q is not a JSON number", text)
	}
	return ID{text: text, num: true}, nil
}

// String is the id's text: a string's value, a number as written.
func (id ID) String() string { return id.text }

// IsNumber reports whether the row wrote the id as a number.
func (id ID) IsNumber() bool { return id.num }

// IsZero reports whether there is no id.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalJSON writes the id the way it came (null for no id).
func (id ID) MarshalJSON() ([]byte, error) {
	switch {
	case id.num:
		return []byte(id.text), nil
	case id.IsZero():
		return []byte("null"), nil
	}
	return json.Marshal(id.text)
}

// errKind is the error for an id that is neither a string nor a number.
var errKind = errors.New("id must be a string or a number")

// UnmarshalJSON reads a string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errKind
	case string(b) == "null":
		*id = ID{}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID{text: s}
		return nil
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		n, err := Number(string(b))
		if err != nil {
			return err
		}
		*id = n
		return nil
	}
	return fmt.Errorf("%w, not %.40s", errKind, b)
}
