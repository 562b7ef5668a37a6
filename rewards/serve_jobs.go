package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"acecoder/extract"
)

// label is what a label may hold: a list of asserts, a JSON string holding
// such a list, or an object with tests (and optional setup/entry point).
type label struct {
	Tests      []string `json:"tests"`
	Setup      string   `json:"setup"`
	EntryPoint string   `json:"entry_point"`
}

// parseLabel accepts ["assert ...", ...], "[\"assert ...\"]" (a JSON string
// holding the list) or {"tests": [...], "setup": "...", "entry_point": "..."}.
func parseLabel(raw json.RawMessage) (label, error) {
	var l label
	for depth := 0; depth < 3; depth++ {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			raw = json.RawMessage(s)
			continue
		}
		if json.Unmarshal(raw, &l.Tests) == nil && l.Tests != nil {
			return l, nil
		}
		if err := json.Unmarshal(raw, &l); err == nil && l.Tests != nil {
			return l, nil
		}
		break
	}
	return l, errors.New("label is not a list of asserts, a JSON string holding one, or {\"tests\": [...]}")
}

// responseJob is the job of one response: its program (extract.Program,
// preferring the entry point the tests call) against tests.
func responseJob(id int, response string, tests []string, entry, setup string, stripThink bool) Job {
	if stripThink {
		response = StripThink(response)
	}
	if entry == "" {
		entry = extract.EntryFromTests(tests)
	}
	return Job{ID: fmt.Sprint(id), Program: extract.Program(response, entry), Tests: tests, Setup: setup}
}

// labelledJobs reads OpenRLHF's labelled request: the response is the
// query minus its prompt.
func labelledJobs(body rewardRequest, stripThink bool) ([]Job, error) {
	if len(body.Labels) != len(body.Query) {
		return nil, badRequest("%d queries but %d labels", len(body.Query), len(body.Labels))
	}
	if len(body.Prompts) != 0 && len(body.Prompts) != len(body.Query) {
		return nil, badRequest("%d queries but %d prompts", len(body.Query), len(body.Prompts))
	}
	jobs := make([]Job, len(body.Query))
	for i, q := range body.Query {
		l, err := parseLabel(body.Labels[i])
		if err != nil {
			return nil, badRequest("labels[%d]: %v", i, err)
		}
		response := q
		if i < len(body.Prompts) {
			response = strings.TrimPrefix(q, body.Prompts[i])
		}
		jobs[i] = responseJob(i, response, l.Tests, l.EntryPoint, l.Setup, stripThink)
	}
	return jobs, nil
}

// queryJobs reads the fork's query-only request: each query is parsed
// into turns, the first user turn's text finds the tests in qs, and the
// turn after it is the response.
func queryJobs(queries []string, qs *QuestionSet, stripThink bool) ([]Job, error) {
	jobs := make([]Job, len(queries))
	unknown, first := 0, -1
	for i, q := range queries {
		msgs, err := ParseQuery(q)
		if err != nil {
			return nil, badRequest("query[%d]: %v", i, err)
		}
		question, response, err := QuestionAndResponse(msgs)
		if err != nil {
			return nil, badRequest("query[%d]: %v", i, err)
		}
		qt, ok := qs.Lookup(question)
		if !ok {
			if unknown++; first < 0 {
				first = i
			}
			continue
		}
		jobs[i] = responseJob(i, response, qt.Tests, "", "", stripThink)
	}
	if unknown > 0 {
		return nil, badRequest("%d of %d queries ask a question that is not in the dataset (the first is query[%d]); "+
			"questions are matched by the SHA-256 of the first user turn's text", unknown, len(queries), first)
	}
	return jobs, nil
}

// rmScores scores each query's [user, response] conversation with the
// reward model, rendered by its own template as the local rm reward is.
func (h *rewardHandler) rmScores(ctx context.Context, queries []string) (rewardResponse, error) {
	texts := make([]string, len(queries))
	for i, q := range queries {
		msgs, err := ParseQuery(q)
		if err != nil {
			return rewardResponse{}, badRequest("query[%d]: %v", i, err)
		}
		question, response, err := QuestionAndResponse(msgs)
		if err != nil {
			return rewardResponse{}, badRequest("query[%d]: %v", i, err)
		}
		if texts[i], err = h.opts.RM.Render(question, response); err != nil {
			return rewardResponse{}, err
		}
	}
	scores, err := h.opts.RM.Score(ctx, texts)
	if err != nil {
		return rewardResponse{}, err
	}
	resp := rewardResponse{Rewards: make([]float64, len(scores)), Scores: make([]float64, len(scores)), ExtraLogs: map[string][]float64{}}
	for i, s := range scores {
		resp.Rewards[i], resp.Scores[i] = float64(s), float64(s)
	}
	return resp, nil
}
