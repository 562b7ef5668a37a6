package tokenizer

import (
	"fmt"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// gpt2Pattern is the split ByteLevel applies itself when use_regex is true.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// splitBehavior is Hugging Face's SplitDelimiterBehavior.
type splitBehavior int

const (
	behaviorIsolated splitBehavior = iota
	behaviorRemoved
	behaviorMergedWithPrevious
	behaviorMergedWithNext
	behaviorContiguous
)

func parseBehavior(s string) (splitBehavior, error) {
	switch s {
	case "Isolated", "":
		return behaviorIsolated, nil
	case "Removed":
		return behaviorRemoved, nil
	case "MergedWithPrevious":
		return behaviorMergedWithPrevious, nil
	case "MergedWithNext":
		return behaviorMergedWithNext, nil
	case "Contiguous":
		return behaviorContiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", s)
}

// preStep is one pre-tokenizer: it refines a list of pieces (substrings of
// the normalised text) into smaller pieces.
type preStep interface {
	apply(pieces []string) []string
}

// splitStep is the "Split" pre-tokenizer (also ByteLevel's own regex).
type splitStep struct {
	re       *regexp2.Regexp // nil when digits > 0
	digits   int             // scanPattern fast path
	literal  string          // pattern {"String": ...}
	behavior splitBehavior
	invert   bool
}

func newRegexSplit(pattern string, behavior splitBehavior, invert bool) (*splitStep, error) {
	st := &splitStep{behavior: behavior, invert: invert, digits: knownPatternDigits(pattern)}
	if st.digits > 0 {
		return st, nil
	}
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("split pattern %q: %w", pattern, err)
	}
	st.re = re
	return st, nil
}

// span is a half-open byte range of a piece and whether the pattern matched it.
type span struct {
	start, end int
	match      bool
}

func (st *splitStep) apply(pieces []string) []string {
	out := make([]string, 0, len(pieces)*2)
	for _, p := range pieces {
		spans := st.spans(p)
		if st.invert {
			for i := range spans {
				spans[i].match = !spans[i].match
			}
		}
		out = appendSplit(out, p, spans, st.behavior)
	}
	return out
}

// spans covers p with matched and unmatched ranges in order.
func (st *splitStep) spans(p string) []span {
	var spans []span
	last := 0
	add := func(s, e int) {
		if s > last {
			spans = append(spans, span{last, s, false})
		}
		if e > s {
			spans = append(spans, span{s, e, true})
		}
		last = e
	}
	switch {
	case st.digits > 0:
		scanPattern(p, st.digits, add)
	case st.re != nil:
		regexMatches(st.re, p, add)
	case st.literal != "":
		for i := 0; i+len(st.literal) <= len(p); {
			if p[i:i+len(st.literal)] == st.literal {
				add(i, i+len(st.literal))
				i += len(st.literal)
			} else {
				i++
			}
		}
	}
	if last < len(p) {
		spans = append(spans, span{last, len(p), false})
	}
	return spans
}

// regexMatches runs re over p's runes (invalid bytes read as U+FFFD, one
// rune each) and reports byte ranges of the non-empty matches.
func regexMatches(re *regexp2.Regexp, p string, add func(s, e int)) {
	runes := make([]rune, 0, len(p))
	offs := make([]int, 0, len(p)+1)
	for i := 0; i < len(p); {
		r, w := utf8.DecodeRuneInString(p[i:])
		runes = append(runes, r)
		offs = append(offs, i)
		i += w
	}
	offs = append(offs, len(p))
	m, err := re.FindRunesMatch(runes)
	for err == nil && m != nil {
		if m.Length > 0 {
			add(offs[m.Index], offs[m.Index+m.Length])
		}
		m, err = re.FindNextMatch(m)
	}
}

// appendSplit turns p's spans into pieces according to b, following
// Hugging Face's NormalizedString::split for each behavior.
func appendSplit(out []string, p string, spans []span, b splitBehavior) []string {
	var ranges [][2]int
	prevMatch := false
	switch b {
	case behaviorIsolated, behaviorRemoved:
		for _, sp := range spans {
			if !(b == behaviorRemoved && sp.match) {
				ranges = append(ranges, [2]int{sp.start, sp.end})
			}
		}
	case behaviorMergedWithPrevious, behaviorContiguous:
		for _, sp := range spans {
			extend := sp.match && !prevMatch
			if b == behaviorContiguous {
				extend = sp.match == prevMatch
			}
			if extend && len(ranges) > 0 {
				ranges[len(ranges)-1][1] = sp.end
			} else {
				ranges = append(ranges, [2]int{sp.start, sp.end})
			}
			prevMatch = sp.match
		}
	case behaviorMergedWithNext:
		for i := len(spans) - 1; i >= 0; i-- {
			sp := spans[i]
			if sp.match && !prevMatch && len(ranges) > 0 {
				ranges[len(ranges)-1][0] = sp.start
			} else {
				ranges = append(ranges, [2]int{sp.start, sp.end})
			}
			prevMatch = sp.match
		}
		for i, j := 0, len(ranges)-1; i < j; i, j = i+1, j-1 {
			ranges[i], ranges[j] = ranges[j], ranges[i]
		}
	}
	for _, r := range ranges {
		if r[1] > r[0] {
			out = append(out, p[r[0]:r[1]])
		}
	}
	return out
}

// byteLevelStep is the ByteLevel pre-tokenizer: an optional leading space,
// an optional GPT-2 split, and (recorded on the Tokenizer) the byte-level
// spelling of each piece, which the BPE model applies itself.
type byteLevelStep struct {
	addPrefixSpace bool
	split          *splitStep // nil unless use_regex
}

func (st *byteLevelStep) apply(pieces []string) []string {
	if st.addPrefixSpace {
		for i, p := range pieces {
			if len(p) == 0 || p[0] != ' ' {
				pieces[i] = " " + p
			}
		}
	}
	if st.split != nil {
		return st.split.apply(pieces)
	}
	return pieces
}
