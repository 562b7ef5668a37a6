package data

import (
	"encoding/json"

	"acecoder/internal/rowid"
)

// Rows keep their "id" as text (ID) and remember whether the input wrote
// it as a JSON number (idNum), so that every stage accepts "oss_0" and 11
// alike and writes each back the way it came. Each row type reads and
// writes its id through rowid.ID; a stage that makes a row from another
// passes the flag on.

func (r *SeedRow) UnmarshalJSON(b []byte) error {
	type plain SeedRow
	aux := struct {
		*plain
		ID rowid.ID `json:"id"`
	}{plain: (*plain)(r)}
	return finishID(json.Unmarshal(b, &aux), aux.ID, &r.ID, &r.idNum)
}

func (r SeedRow) MarshalJSON() ([]byte, error) {
	type plain SeedRow
	return json.Marshal(struct {
		plain
		ID any `json:"id,omitempty"`
	}{plain(r), seedID(r.ID, r.idNum)})
}

func (r *QuestionRow) UnmarshalJSON(b []byte) error {
	type plain QuestionRow
	aux := struct {
		*plain
		ID rowid.ID `json:"id"`
	}{plain: (*plain)(r)}
	return finishID(json.Unmarshal(b, &aux), aux.ID, &r.ID, &r.idNum)
}

func (r QuestionRow) MarshalJSON() ([]byte, error) {
	type plain QuestionRow
	return json.Marshal(struct {
		plain
		ID any `json:"id"`
	}{plain(r), idOf(r.ID, r.idNum)})
}

func (r *FilteredRow) UnmarshalJSON(b []byte) error {
	type plain FilteredRow
	aux := struct {
		*plain
		ID rowid.ID `json:"id"`
	}{plain: (*plain)(r)}
	return finishID(json.Unmarshal(b, &aux), aux.ID, &r.ID, &r.idNum)
}

func (r FilteredRow) MarshalJSON() ([]byte, error) {
	type plain FilteredRow
	return json.Marshal(struct {
		plain
		ID any `json:"id"`
	}{plain(r), idOf(r.ID, r.idNum)})
}

func (r *AceCodeRow) UnmarshalJSON(b []byte) error {
	type plain AceCodeRow
	aux := struct {
		*plain
		ID rowid.ID `json:"id"`
	}{plain: (*plain)(r)}
	return finishID(json.Unmarshal(b, &aux), aux.ID, &r.ID, &r.idNum)
}

func (r AceCodeRow) MarshalJSON() ([]byte, error) {
	type plain AceCodeRow
	return json.Marshal(struct {
		plain
		ID any `json:"id"`
	}{plain(r), idOf(r.ID, r.idNum)})
}

func (r *PairRow) UnmarshalJSON(b []byte) error {
	type plain PairRow
	aux := struct {
		*plain
		ID rowid.ID `json:"id"`
	}{plain: (*plain)(r)}
	return finishID(json.Unmarshal(b, &aux), aux.ID, &r.ID, &r.idNum)
}

func (r PairRow) MarshalJSON() ([]byte, error) {
	type plain PairRow
	return json.Marshal(struct {
		plain
		ID any `json:"id"`
	}{plain(r), idOf(r.ID, r.idNum)})
}

func finishID(err error, id rowid.ID, text *string, num *bool) error {
	if err != nil {
		return err
	}
	*text, *num = id.String(), id.IsNumber()
	return nil
}

// idOf is how a row's id is written: its text as a JSON number when the
// input wrote a number, else as a string.
func idOf(text string, num bool) any {
	if num {
		if id, err := rowid.Number(text); err == nil {
			return id
		}
	}
	return text
}

// seedID is idOf, or nothing for a seed without an id.
func seedID(text string, num bool) any {
	if text == "" && !num {
		return nil
	}
	return idOf(text, num)
}
