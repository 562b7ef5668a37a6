package tokenizer

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AddedToken is an entry of tokenizer.json's added_tokens: a string matched
// in the raw text before normalisation and pre-tokenization.
type AddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// segment is a piece of input text: either plain text (id < 0) or an
// added token.
type segment struct {
	text string
	id   int
}

// addedMatcher finds added tokens with leftmost-longest semantics (Hugging
// Face uses Aho-Corasick in LeftmostLongest mode). Candidates are indexed by
// first byte and tried longest first.
type addedMatcher struct {
	byFirst [256][]AddedToken
}

func newAddedMatcher(tokens []AddedToken) *addedMatcher {
	m := &addedMatcher{}
	for _, t := range tokens {
		if t.Content == "" {
			continue
		}
		c := t.Content[0]
		m.byFirst[c] = append(m.byFirst[c], t)
	}
	for c := range m.byFirst {
		sort.SliceStable(m.byFirst[c], func(i, j int) bool {
			return len(m.byFirst[c][i].Content) > len(m.byFirst[c][j].Content)
		})
	}
	return m
}

// split cuts s into text and added-token segments. A single_word token is
// skipped when a word character touches it; lstrip/rstrip tokens absorb the
// whitespace beside them.
func (m *addedMatcher) split(s string, dst []segment) []segment {
	textStart := 0
	for i := 0; i < len(s); {
		t, ok := m.longestAt(s, i)
		if !ok {
			i++
			continue
		}
		start, stop := i, i+len(t.Content)
		if t.SingleWord && (endsWithWord(s[:start]) || startsWithWord(s[stop:])) {
			i = stop
			continue
		}
		if t.LStrip {
			start = max(len(strings.TrimRightFunc(s[:start], unicode.IsSpace)), textStart)
		}
		if t.RStrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
		}
		if start > textStart {
			dst = append(dst, segment{text: s[textStart:start], id: -1})
		}
		dst = append(dst, segment{text: s[start:stop], id: t.ID})
		textStart, i = stop, stop
	}
	if textStart < len(s) {
		dst = append(dst, segment{text: s[textStart:], id: -1})
	}
	return dst
}

func (m *addedMatcher) longestAt(s string, i int) (AddedToken, bool) {
	for _, t := range m.byFirst[s[i]] {
		if strings.HasPrefix(s[i:], t.Content) {
			return t, true
		}
	}
	return AddedToken{}, false
}

// isWordChar is the regex class \w: letters, marks, digits, connectors.
func isWordChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		unicode.Is(unicode.Pc, r)
}

func endsWithWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return len(s) > 0 && isWordChar(r)
}

func startsWithWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return len(s) > 0 && isWordChar(r)
}
