package rewards

// The query-only reward protocol of the AceCoder fork of OpenRLHF
// (openrlhf/cli/serve_rm.py): the trainer posts {"query": [...]}, each
// query the policy's chat rendering of the prompt followed by the sampled
// response. The server parses the conversation back out of the rendering,
// finds the question's tests by the SHA-256 of the first user turn's text
// in a dataset it loaded at start, and answers {"rewards": [...]}.

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// QueryMessage is one turn parsed out of a rendered query.
type QueryMessage struct {
	Role, Content string
}

// Chat renderings ParseQuery reads.
const (
	qwenStart, qwenEnd = "<|im_start|>", "<|im_end|>"
	llamaStart         = "<|start_header_id|>"
	llamaHeadEnd       = "<|end_header_id|>"
	llamaEnd           = "<|eot_id|>"
)

// trailingSpecials are end-of-text and padding tokens that may follow the
// last turn of a decoded sequence (kept special tokens, left or right
// padding); they are not content.
var trailingSpecials = []string{"<|endoftext|>", qwenEnd, llamaEnd, "<|end_of_text|>", "<|finetune_right_pad_id|>"}

// ParseQuery splits a rendered conversation into its turns. It reads
// Qwen2's ChatML (<|im_start|>role\ncontent<|im_end|>) and Llama 3's
// (<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>)
// renderings, whichever the text holds. The last turn may lack its end
// token (a response cut at the length limit); padding and end-of-text
// tokens after it are dropped. Text before the first turn (a BOS, left
// padding) is ignored.
func ParseQuery(query string) ([]QueryMessage, error) {
	switch {
	case strings.Contains(query, llamaStart):
		return parseTurns(query, llamaStart, llamaEnd, func(head string) (string, string, bool) {
			role, content, ok := strings.Cut(head, llamaHeadEnd)
			return role, strings.TrimPrefix(content, "\n\n"), ok
		})
	case strings.Contains(query, qwenStart):
		return parseTurns(query, qwenStart, qwenEnd, func(head string) (string, string, bool) {
			return strings.Cut(head, "\n")
		})
	}
	return nil, errors.New("query is neither a ChatML (Qwen2) nor a Llama 3 chat rendering")
}

// parseTurns cuts text at each start token; split separates a turn's role
// from its content.
func parseTurns(text, start, end string, split func(string) (role, content string, ok bool)) ([]QueryMessage, error) {
	parts := strings.Split(text, start)[1:]
	out := make([]QueryMessage, 0, len(parts))
	for i, p := range parts {
		role, content, ok := split(p)
		if !ok {
			return nil, fmt.Errorf("turn %d has no role header", i)
		}
		if j := strings.Index(content, end); j >= 0 {
			content = content[:j]
		} else {
			content = trimTrailingSpecials(content)
		}
		out = append(out, QueryMessage{Role: role, Content: content})
	}
	return out, nil
}

func trimTrailingSpecials(s string) string {
	for {
		cut := false
		for _, t := range trailingSpecials {
			if r, ok := strings.CutSuffix(s, t); ok {
				s, cut = r, true
			}
		}
		if !cut {
			return s
		}
	}
}

// QuestionAndResponse returns the first user turn's text and the turn
// after it (empty when there is none), as the fork reads a query.
func QuestionAndResponse(msgs []QueryMessage) (question, response string, err error) {
	for i, m := range msgs {
		if m.Role != "user" {
			continue
		}
		if i+1 < len(msgs) {
			response = msgs[i+1].Content
		}
		return m.Content, response, nil
	}
	return "", "", errors.New("query has no user turn")
}

// QuestionHash is the key of a question: the SHA-256 of its text.
func QuestionHash(question string) [32]byte { return sha256.Sum256([]byte(question)) }

// QuestionSet maps questions (by QuestionHash) to their tests, for
// query-only requests.
type QuestionSet struct {
	byHash     map[[32]byte]QuestionTests
	Duplicates int // questions added again (the first one's tests are kept)
}

// QuestionTests is what a question's hash finds.
type QuestionTests struct {
	ID    string
	Tests []string
}

// NewQuestionSet returns an empty set.
func NewQuestionSet() *QuestionSet { return &QuestionSet{byHash: map[[32]byte]QuestionTests{}} }

// Add records question's tests under the hash of its text and, when it
// differs, of its text trimmed (templates such as Llama 3's trim turns).
func (s *QuestionSet) Add(id, question string, tests []string) {
	q := QuestionTests{ID: id, Tests: tests}
	h := QuestionHash(question)
	if _, ok := s.byHash[h]; ok {
		s.Duplicates++
		return
	}
	s.byHash[h] = q
	if t := strings.TrimSpace(question); t != question {
		if _, ok := s.byHash[QuestionHash(t)]; !ok {
			s.byHash[QuestionHash(t)] = q
		}
	}
}

// Len is the number of keys held.
func (s *QuestionSet) Len() int { return len(s.byHash) }

// Lookup finds a question's tests by its text as parsed from a query.
func (s *QuestionSet) Lookup(question string) (QuestionTests, bool) {
	if q, ok := s.byHash[QuestionHash(question)]; ok {
		return q, true
	}
	q, ok := s.byHash[QuestionHash(strings.TrimSpace(question))]
	return q, ok
}

// thinkBlock is what StripThink removes: the fork's <think>(.|\n)*?</think>.
var thinkBlock = regexp.MustCompile(`(?s)<think>.*?</think>`)

// StripThink removes every <think>…</think> block (shortest match), as the
// fork does before extracting the program of an R1-style response. An
// unclosed <think> is left as it is.
func StripThink(s string) string { return thinkBlock.ReplaceAllString(s, "") }
