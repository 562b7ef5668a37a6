package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// KeyError is a problem with the value of one key. Validate methods return
// them (joined), so callers can tell which keys need attention:
// --print-config marks them in its output.
type KeyError struct {
	Key string
	Msg string
}

func (e *KeyError) Error() string { return fmt.Sprintf("key %q: %s", e.Key, e.Msg) }

// keyErr builds a KeyError with a formatted message.
func keyErr(key, format string, args ...any) error {
	return &KeyError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// KeyErrors flattens err (errors.Join trees, wrapped errors) into the key
// problems it holds and the other errors.
func KeyErrors(err error) (byKey []*KeyError, other []error) {
	if err == nil {
		return nil, nil
	}
	if ke, ok := err.(*KeyError); ok {
		return []*KeyError{ke}, nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			k, o := KeyErrors(e)
			byKey, other = append(byKey, k...), append(other, o...)
		}
		return byKey, other
	}
	if inner := errors.Unwrap(err); inner != nil {
		if k, o := KeyErrors(inner); len(k) > 0 {
			return k, o
		}
	}
	return nil, []error{err}
}

// InputFilter is implemented by configs some of whose input keys are read
// only in some settings (train-policy reads reward_pretrain only with
// reward: rm); CheckInputs skips the keys it reports unused.
type InputFilter interface {
	InputUsed(key string) bool
}

// CheckInputs reports every key tagged `path:"in"` whose value names a file
// or folder that does not exist, each naming the key and the path. Commands
// call it before they create a run directory, so a typo costs nothing.
func CheckInputs(cfg any) error {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return err
	}
	filter, _ := cfg.(InputFilter)
	var errs []error
	for _, f := range fields {
		if f.Path.Kind != "in" || (filter != nil && !filter.InputUsed(f.Key)) {
			continue
		}
		for _, p := range pathValues(f) {
			if !f.Path.isPath(p) {
				continue
			}
			if err := CheckPath(p); err != nil {
				errs = append(errs, keyErr(f.Key, "%v", err))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckPath reports why the file or folder p cannot be used as an input
// ("p: no such file or directory"), or nil when it exists.
func CheckPath(p string) error {
	_, err := os.Stat(p)
	if err == nil {
		return nil
	}
	if os.IsNotExist(err) {
		return fmt.Errorf("%s: no such file or directory", p)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "stat "))
}

// pathValues are the strings of a path field (one, or each list element).
func pathValues(f field) []string {
	switch v := f.Val.Interface().(type) {
	case string:
		return []string{v}
	case []string:
		return v
	}
	return nil
}

// resolvePaths rewrites the relative path values of the keys that the
// config file at file set, against the file's folder, as absolute paths.
// Values from defaults, the environment and flags are left alone (they are
// relative to the working directory).
func resolvePaths(values map[string]any, file string, fields []field) error {
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	abs := func(p string, pt pathTag) string {
		if !pt.isPath(p) || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	for _, f := range fields {
		if f.Path.Kind == "" {
			continue
		}
		parent, last := lookupParent(values, f.Key)
		if parent == nil {
			continue
		}
		switch v := parent[last].(type) {
		case string:
			parent[last] = abs(v, f.Path)
		case []any:
			for i, e := range v {
				if s, ok := e.(string); ok {
					v[i] = abs(s, f.Path)
				}
			}
		}
	}
	return nil
}

// lookupParent finds the map holding a dotted key in decoded YAML, and the
// key's last segment; nil when the file does not set the key.
func lookupParent(values map[string]any, key string) (map[string]any, string) {
	parts := strings.Split(key, ".")
	m := values
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil, ""
		}
		m = next
	}
	last := parts[len(parts)-1]
	if _, ok := m[last]; !ok {
		return nil, ""
	}
	return m, last
}

// AbsPaths makes the relative path values of cfg absolute against the
// working directory, so a resolved config written to a run directory means
// the same wherever it is loaded from.
func AbsPaths(cfg any) error {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if f.Path.Kind == "" {
			continue
		}
		vals := pathValues(f)
		out := make([]string, len(vals))
		for i, p := range vals {
			out[i] = p
			if f.Path.isPath(p) && !filepath.IsAbs(p) {
				if out[i], err = filepath.Abs(p); err != nil {
					return fmt.Errorf("key %q: %w", f.Key, err)
				}
			}
		}
		switch {
		case f.Kind.Kind() == reflect.String:
			f.Val.SetString(out[0])
		case len(out) > 0:
			f.Val.Set(reflect.ValueOf(out))
		}
	}
	return nil
}
