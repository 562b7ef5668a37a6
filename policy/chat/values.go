package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/ardanlabs/jinja"
)

// OrderedMap is a JSON object that remembers its key order, which tojson
// must reproduce (tool schemas, tool-call arguments). DecodeJSON returns
// objects as *OrderedMap.
type OrderedMap struct {
	Keys   []string
	Values map[string]any
}

// Set adds or replaces a key, keeping first-insertion order.
func (m *OrderedMap) Set(key string, v any) {
	if m.Values == nil {
		m.Values = map[string]any{}
	}
	if _, ok := m.Values[key]; !ok {
		m.Keys = append(m.Keys, key)
	}
	m.Values[key] = v
}

// Get returns the value of key.
func (m *OrderedMap) Get(key string) (any, bool) {
	v, ok := m.Values[key]
	return v, ok
}

// DecodeJSON parses JSON as Python's json.loads would for a chat template:
// objects become *OrderedMap, integers int64, other numbers float64.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, fmt.Errorf("chat: decode json: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("chat: decode json: trailing data")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := &OrderedMap{Values: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				m.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return m, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return pyNumber(t), nil
	default:
		return t, nil // string, bool, nil
	}
}

// pyNumber keeps Python's int/float distinction: "1" is an int, "1.0" a float.
func pyNumber(n json.Number) any {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.Inf(1)
	}
	return f
}

// toValue converts Go data to template values. Ordered inputs
// (*OrderedMap, json.RawMessage) keep their key order; plain Go maps are
// sorted by key, since Go does not remember insertion order.
func toValue(v any) (jinja.Value, error) {
	switch x := v.(type) {
	case nil:
		return jinja.None(), nil
	case jinja.Value:
		return x, nil
	case bool:
		return jinja.NewBool(x), nil
	case string:
		return jinja.NewString(x), nil
	case int:
		return jinja.NewInt(int64(x)), nil
	case int32:
		return jinja.NewInt(int64(x)), nil
	case int64:
		return jinja.NewInt(x), nil
	case float32:
		return jinja.NewFloat(float64(x)), nil
	case float64:
		return jinja.NewFloat(x), nil
	case json.Number:
		return toValue(pyNumber(x))
	case json.RawMessage:
		d, err := DecodeJSON(x)
		if err != nil {
			return jinja.Undefined(), err
		}
		return toValue(d)
	case *OrderedMap:
		return dictValue(x.Keys, func(k string) any { return x.Values[k] })
	case Message:
		return mapValue(x)
	case map[string]any:
		return mapValue(x)
	case []Message:
		return listValue(len(x), func(i int) any { return x[i] })
	case []any:
		return listValue(len(x), func(i int) any { return x[i] })
	}
	return reflectValue(v)
}

func mapValue(m map[string]any) (jinja.Value, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return dictValue(keys, func(k string) any { return m[k] })
}

func dictValue(keys []string, get func(string) any) (jinja.Value, error) {
	d := jinja.NewDict()
	for _, k := range keys {
		v, err := toValue(get(k))
		if err != nil {
			return jinja.Undefined(), fmt.Errorf("key %q: %w", k, err)
		}
		d.AsDict().Set(k, v)
	}
	return d, nil
}

func listValue(n int, get func(int) any) (jinja.Value, error) {
	items := make([]jinja.Value, n)
	for i := range n {
		v, err := toValue(get(i))
		if err != nil {
			return jinja.Undefined(), fmt.Errorf("item %d: %w", i, err)
		}
		items[i] = v
	}
	return jinja.NewList(items), nil
}

// reflectValue handles other slices and string-keyed maps (e.g. []string,
// map[string]string) and anything else by a JSON round trip (structs with
// json tags keep their field order).
func reflectValue(v any) (jinja.Value, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return listValue(rv.Len(), func(i int) any { return rv.Index(i).Interface() })
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for _, k := range rv.MapKeys() {
				m[k.String()] = rv.MapIndex(k).Interface()
			}
			return mapValue(m)
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return jinja.None(), nil
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return jinja.Undefined(), fmt.Errorf("unsupported value of type %T: %w", v, err)
	}
	return toValue(json.RawMessage(data))
}
