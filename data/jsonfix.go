package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// RecoverJSON finds the first JSON object in an LLM reply and returns it as
// valid JSON. It looks inside ```json fences first (an unterminated fence runs
// to the end of the reply), then in the whole reply; prose around the object
// is ignored. A truncated object is repaired by cutting back to the last
// complete member or element and closing the open strings, arrays and
// objects; trailing commas are removed.
func RecoverJSON(reply string) (json.RawMessage, error) {
	raw, _, err := recoverJSON(reply)
	return raw, err
}

// recoverJSON is RecoverJSON that also reports whether the repair had to
// close a string cut by truncation (the last string value is then partial).
func recoverJSON(reply string) (json.RawMessage, bool, error) {
	var lastErr error = errors.New("no JSON object in reply")
	for _, cand := range jsonCandidates(reply) {
		start := strings.IndexByte(cand, '{')
		if start < 0 {
			continue
		}
		s := cand[start:]
		var raw json.RawMessage
		if err := json.NewDecoder(strings.NewReader(s)).Decode(&raw); err == nil {
			return raw, false, nil
		}
		s = sanitizeStrings(s)
		if err := json.NewDecoder(strings.NewReader(s)).Decode(&raw); err == nil {
			return raw, false, nil
		}
		fixed, closedString, err := repairJSON(s)
		if err == nil {
			return fixed, closedString, nil
		}
		lastErr = err
	}
	return nil, false, fmt.Errorf("data: recover JSON: %w", lastErr)
}

// jsonCandidates lists fenced blocks (json-tagged first) and then the reply.
func jsonCandidates(reply string) []string {
	blocks := fencedBlocks(reply)
	var tagged, other []string
	for _, b := range blocks {
		if strings.EqualFold(b.lang, "json") {
			tagged = append(tagged, b.body)
		} else {
			other = append(other, b.body)
		}
	}
	return append(append(tagged, other...), reply)
}

// repairJSON closes a truncated object. It scans once, remembering the
// positions where a prefix ends on a complete value; it then tries those cut
// points from the longest, each with the closers open at that point.
func repairJSON(s string) (json.RawMessage, bool, error) {
	cuts := scanCuts(s)
	const maxTries = 256
	for i := len(cuts) - 1; i >= 0 && len(cuts)-i <= maxTries; i-- {
		c := cuts[i]
		candidate := stripTrailingCommas(s[:c.pos] + c.closers)
		if json.Valid([]byte(candidate)) && strings.HasPrefix(candidate, "{") {
			return json.RawMessage(candidate), strings.HasPrefix(c.closers, `"`), nil
		}
	}
	return nil, false, errors.New("truncated JSON could not be repaired")
}

type cutPoint struct {
	pos     int    // s[:pos] is kept
	closers string // appended to close what is open at pos
}

// scanCuts walks s tracking strings and nesting. A cut point is recorded
// after each complete string, after each closed container, before each comma
// and at the end (closing an open string if needed).
func scanCuts(s string) []cutPoint {
	var stack []byte
	var cuts []cutPoint
	closers := func(extra string) string {
		var b strings.Builder
		b.WriteString(extra)
		for i := len(stack) - 1; i >= 0; i-- {
			b.WriteByte(stack[i])
		}
		return b.String()
	}
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
				cuts = append(cuts, cutPoint{i + 1, closers("")})
			}
			continue
		}
		switch ch {
		case '"':
			inString = true
		case '{':
			stack = append(stack, '}')
			cuts = append(cuts, cutPoint{i + 1, closers("")})
		case '[':
			stack = append(stack, ']')
			cuts = append(cuts, cutPoint{i + 1, closers("")})
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != ch {
				return cuts // mismatched: nothing after this can be trusted
			}
			stack = stack[:len(stack)-1]
			cuts = append(cuts, cutPoint{i + 1, closers("")})
			if len(stack) == 0 {
				return cuts
			}
		case ',':
			cuts = append(cuts, cutPoint{i, closers("")})
		}
	}
	end := len(s)
	if inString {
		if escaped {
			end-- // drop a dangling backslash
		}
		end = trimPartialUnicodeEscape(s, end)
		cuts = append(cuts, cutPoint{end, closers(`"`)})
	} else {
		cuts = append(cuts, cutPoint{end, closers("")})
	}
	return cuts
}

// trimPartialUnicodeEscape cuts a \uXXX sequence left incomplete at end.
func trimPartialUnicodeEscape(s string, end int) int {
	for k := 1; k <= 5 && end-k >= 0; k++ {
		if s[end-k] == '\\' && end-k+1 < len(s) && s[end-k+1] == 'u' {
			return end - k
		}
	}
	return end
}

// sanitizeStrings fixes what models often get wrong inside JSON strings:
// raw control characters (a literal newline in a question) are escaped, and
// a backslash before a character JSON does not allow to be escaped (\' or
// \_) is itself escaped, keeping the text as the model wrote it.
func sanitizeStrings(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inString := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case !inString:
			inString = ch == '"'
		case ch == '"':
			inString = false
		case ch == '\\':
			if i+1 < len(s) && strings.IndexByte(`"\\/bfnrtu`, s[i+1]) >= 0 {
				b.WriteByte(ch)
				i++
				ch = s[i]
			} else if i+1 < len(s) {
				b.WriteByte('\\')
			}
		case ch < 0x20:
			fmt.Fprintf(&b, "\\u%04x", ch)
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// stripTrailingCommas removes commas followed (after spaces) by } or ],
// outside strings.
func stripTrailingCommas(s string) string {
	var b bytes.Buffer
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if inString {
			b.WriteByte(ch)
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		if ch == '"' {
			inString = true
		}
		if ch == ',' {
			j := i + 1
			for j < len(s) && strings.IndexByte(" \t\r\n", s[j]) >= 0 {
				j++
			}
			if j == len(s) || s[j] == '}' || s[j] == ']' {
				continue
			}
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// SynthReply is what the synthesis prompt asks the model to return.
type SynthReply struct {
	Question string   `json:"question"`
	Tests    []string `json:"tests"`
}

// ParseSynthReply recovers the JSON of a synthesis reply and keeps only tests
// that are assert statements. A test cut by truncation is dropped; a reply
// cut inside the question is rejected. It fails when no question or no
// assert is left.
func ParseSynthReply(reply string) (SynthReply, error) {
	raw, cutString, err := recoverJSON(reply)
	if err != nil {
		return SynthReply{}, err
	}
	var loose struct {
		Question string            `json:"question"`
		Tests    []json.RawMessage `json:"tests"`
	}
	if err := json.Unmarshal(raw, &loose); err != nil {
		return SynthReply{}, fmt.Errorf("data: synth reply shape: %w", err)
	}
	if cutString {
		text := string(raw)
		if len(loose.Tests) == 0 || strings.LastIndex(text, `"question"`) > strings.LastIndex(text, `"tests"`) {
			return SynthReply{}, errors.New("data: synth reply truncated inside the question")
		}
		loose.Tests = loose.Tests[:len(loose.Tests)-1]
	}
	out := SynthReply{Question: strings.TrimSpace(loose.Question)}
	for _, t := range loose.Tests {
		var s string
		if json.Unmarshal(t, &s) != nil {
			continue
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "assert ") || strings.HasPrefix(s, "assert(") {
			out.Tests = append(out.Tests, s)
		}
	}
	switch {
	case out.Question == "":
		return out, errors.New("data: synth reply has no question")
	case len(out.Tests) == 0:
		return out, errors.New("data: synth reply has no assert tests")
	}
	return out, nil
}
