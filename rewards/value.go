package rewards

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// pyValue is a built-in Python value as the sandbox serialises it: a tagged
// JSON array ["i", "0x2a"], ["f", "0x1.8p+1"], ["s", "text"], ["l", [...]],
// and so on (see make_serialiser in worker.py). Only exact built-in types
// exist here, so equality below is Python's equality for those types and
// nothing the program defines can take part in it.
type pyValue struct {
	kind  byte     // b i f c n s y l t d e q (deque)
	b     bool     // kind b
	i     *big.Int // kind i
	re    float64  // kinds f, c
	im    float64  // kind c
	s     string   // kinds s (UTF-8, surrogates kept as WTF-8), y (raw bytes)
	items []pyValue
	// dict entries are stored as key, value, key, value, ... in items.
}

const maxValueDepth = 200

var errBadValue = errors.New("rewards: malformed serialised value")

// decodeValue parses a serialised value.
func decodeValue(raw json.RawMessage) (pyValue, error) {
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return pyValue{}, fmt.Errorf("%w: %v", errBadValue, err)
	}
	return fromTree(tree, 0)
}

func fromTree(t any, depth int) (pyValue, error) {
	arr, ok := t.([]any)
	if !ok || len(arr) == 0 || depth > maxValueDepth {
		return pyValue{}, errBadValue
	}
	tag, ok := arr[0].(string)
	if !ok || len(tag) != 1 {
		return pyValue{}, errBadValue
	}
	v := pyValue{kind: tag[0]}
	str := func(k int) (string, bool) {
		if len(arr) <= k {
			return "", false
		}
		s, ok := arr[k].(string)
		return s, ok
	}
	switch v.kind {
	case 'n':
		return v, nil
	case 'b':
		if len(arr) != 2 {
			return v, errBadValue
		}
		v.b, ok = arr[1].(bool)
	case 'i':
		var s string
		if s, ok = str(1); ok {
			v.i, ok = new(big.Int).SetString(s, 0)
		}
	case 'f':
		var s string
		if s, ok = str(1); ok {
			v.re, ok = parsePyFloat(s)
		}
	case 'c':
		r, ok1 := str(1)
		m, ok2 := str(2)
		var ok3, ok4 bool
		v.re, ok3 = parsePyFloat(r)
		v.im, ok4 = parsePyFloat(m)
		ok = ok1 && ok2 && ok3 && ok4
	case 's':
		v.s, ok = str(1)
	case 'S', 'y':
		var h string
		if h, ok = str(1); ok {
			b, err := hex.DecodeString(h)
			v.s, ok = string(b), err == nil
		}
		if v.kind == 'S' {
			v.kind = 's'
		}
	case 'l', 't', 'd', 'e', 'q':
		return itemsFromTree(v, arr, depth)
	default:
		ok = false
	}
	if !ok {
		return v, errBadValue
	}
	return v, nil
}

func itemsFromTree(v pyValue, arr []any, depth int) (pyValue, error) {
	if len(arr) != 2 {
		return v, errBadValue
	}
	elems, ok := arr[1].([]any)
	if !ok {
		return v, errBadValue
	}
	for _, e := range elems {
		if v.kind == 'd' {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				return v, errBadValue
			}
			k, err1 := fromTree(pair[0], depth+1)
			x, err2 := fromTree(pair[1], depth+1)
			if err := errors.Join(err1, err2); err != nil {
				return v, err
			}
			v.items = append(v.items, k, x)
			continue
		}
		x, err := fromTree(e, depth+1)
		if err != nil {
			return v, err
		}
		v.items = append(v.items, x)
	}
	return v, nil
}

// parsePyFloat reads float.hex() output ("0x1.8p+1", "inf", "-inf", "nan").
func parsePyFloat(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (v pyValue) isNumber() bool { return strings.IndexByte("bifc", v.kind) >= 0 }

// real returns the value of a non-complex number as an exact rational, or
// ok=false for NaN and infinities (handled by the caller).
func (v pyValue) rat() (*big.Rat, bool) {
	switch v.kind {
	case 'b':
		if v.b {
			return big.NewRat(1, 1), true
		}
		return new(big.Rat), true
	case 'i':
		return new(big.Rat).SetInt(v.i), true
	}
	if math.IsNaN(v.re) || math.IsInf(v.re, 0) {
		return nil, false
	}
	return new(big.Rat).SetFloat64(v.re), true
}

// realEqual is Python's == between two real numbers (bool, int, float):
// exact, so 2**53+1 != float(2**53) and nan != nan.
func realEqual(a, b pyValue) bool {
	ra, okA := a.rat()
	rb, okB := b.rat()
	if okA && okB {
		return ra.Cmp(rb) == 0
	}
	if okA || okB {
		return false
	}
	return a.re == b.re // both inf/nan floats
}

func numEqual(a, b pyValue) bool {
	if a.kind == 'c' || b.kind == 'c' {
		ai, bi := 0.0, 0.0
		if a.kind == 'c' {
			ai, a = a.im, pyValue{kind: 'f', re: a.re}
		}
		if b.kind == 'c' {
			bi, b = b.im, pyValue{kind: 'f', re: b.re}
		}
		return ai == bi && realEqual(a, b)
	}
	return realEqual(a, b)
}

// pyEqual is Python's == restricted to built-in values: numbers compare
// across bool/int/float/complex, list != tuple, set == frozenset, dicts
// compare by key equality regardless of order, str != bytes, a deque
// equals only a deque.
func pyEqual(a, b pyValue) bool {
	if a.isNumber() && b.isNumber() {
		return numEqual(a, b)
	}
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case 'n':
		return true
	case 's', 'y':
		return a.s == b.s
	case 'l', 't', 'q':
		if len(a.items) != len(b.items) {
			return false
		}
		for i := range a.items {
			if !pyEqual(a.items[i], b.items[i]) {
				return false
			}
		}
		return true
	case 'e':
		return setEqual(a, b)
	case 'd':
		return dictEqual(a, b)
	}
	return false
}

func setEqual(a, b pyValue) bool {
	ka, kb := map[string]bool{}, map[string]bool{}
	for _, x := range a.items {
		ka[x.hashKey()] = true
	}
	for _, x := range b.items {
		kb[x.hashKey()] = true
	}
	if len(ka) != len(kb) {
		return false
	}
	for k := range ka {
		if !kb[k] {
			return false
		}
	}
	return true
}

func dictEqual(a, b pyValue) bool {
	mb := map[string]pyValue{}
	for i := 0; i+1 < len(b.items); i += 2 {
		mb[b.items[i].hashKey()] = b.items[i+1]
	}
	if len(a.items)/2 != len(mb) {
		return false
	}
	for i := 0; i+1 < len(a.items); i += 2 {
		x, ok := mb[a.items[i].hashKey()]
		if !ok || !pyEqual(a.items[i+1], x) {
			return false
		}
	}
	return true
}

// hashKey is a canonical key such that two hashable built-in values are ==
// in Python iff their keys are equal (1, 1.0, True and 1+0j share a key).
func (v pyValue) hashKey() string {
	switch v.kind {
	case 'b', 'i', 'f', 'c':
		return numKey(v)
	case 'n':
		return "n"
	case 's':
		return "s" + strconv.Quote(v.s)
	case 'y':
		return "y" + strconv.Quote(v.s)
	case 't', 'e':
		keys := make([]string, len(v.items))
		for i, x := range v.items {
			keys[i] = x.hashKey()
		}
		if v.kind == 'e' {
			sort.Strings(keys)
			return "e{" + strings.Join(keys, ",") + "}"
		}
		return "t(" + strings.Join(keys, ",") + ")"
	}
	return fmt.Sprintf("unhashable:%p", &v) // never equal to anything else
}

func numKey(v pyValue) string {
	im := 0.0
	if v.kind == 'c' {
		im, v = v.im, pyValue{kind: 'f', re: v.re}
	}
	re := ""
	if r, ok := v.rat(); ok {
		re = r.RatString()
	} else {
		re = strconv.FormatFloat(v.re, 'g', -1, 64)
	}
	if im != 0 {
		return "c" + re + "," + strconv.FormatFloat(im, 'g', -1, 64)
	}
	return "r" + re
}
