package configs

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// field is one leaf of a config struct: its dotted key, Go type, help text,
// what kind of path it holds (the `path` tag) and a settable value.
type field struct {
	Key  string
	Help string
	Kind reflect.Type
	Val  reflect.Value
	Path pathTag
}

// pathTag is a parsed `path` struct tag: `path:"in"` marks a file or folder
// the command reads (it must exist before anything runs), `path:"out"` one
// it writes; `except=a|b` lists values that are keywords, not paths
// (chat_template: plain, resume: latest). Both kinds are resolved against a
// config file's folder when the file sets them.
type pathTag struct {
	Kind   string // "", "in" or "out"
	Except []string
}

func parsePathTag(tag string) (pathTag, error) {
	if tag == "" {
		return pathTag{}, nil
	}
	kind, rest, _ := strings.Cut(tag, ",")
	if kind != "in" && kind != "out" {
		return pathTag{}, fmt.Errorf("path tag %q: want in or out", tag)
	}
	p := pathTag{Kind: kind}
	if rest != "" {
		list, ok := strings.CutPrefix(rest, "except=")
		if !ok {
			return pathTag{}, fmt.Errorf("path tag %q: want except=a|b after the kind", tag)
		}
		p.Except = strings.Split(list, "|")
	}
	return p, nil
}

// isPath reports whether v, a value of a field tagged with p, names a path.
func (p pathTag) isPath(v string) bool {
	return p.Kind != "" && v != "" && !slices.Contains(p.Except, v)
}

var durationType = reflect.TypeOf(time.Duration(0))

// fieldsOf lists the leaf fields of *cfg in declaration order. Keys come from
// the `mapstructure` tag; nested structs give "outer.inner" keys.
func fieldsOf(cfg any) ([]field, error) {
	v := reflect.ValueOf(cfg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("configs: want a pointer to a struct, got %T", cfg)
	}
	var out []field
	err := walk(v.Elem(), "", &out)
	return out, err
}

func walk(v reflect.Value, prefix string, out *[]field) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Tag.Get("mapstructure")
		if name == ",squash" && sf.Type.Kind() == reflect.Struct {
			if err := walk(v.Field(i), prefix, out); err != nil {
				return err
			}
			continue
		}
		if name == "" || name == "-" {
			return fmt.Errorf("configs: %s.%s has no mapstructure tag", t.Name(), sf.Name)
		}
		key := prefix + name
		fv := v.Field(i)
		if sf.Type.Kind() == reflect.Struct && sf.Type != durationType {
			if err := walk(fv, key+".", out); err != nil {
				return err
			}
			continue
		}
		if !supported(sf.Type) {
			return fmt.Errorf("configs: key %q has unsupported type %s", key, sf.Type)
		}
		pt, err := parsePathTag(sf.Tag.Get("path"))
		if err != nil {
			return fmt.Errorf("configs: key %q: %w", key, err)
		}
		if pt.Kind != "" && sf.Type.Kind() != reflect.String && sf.Type != reflect.TypeOf([]string(nil)) {
			return fmt.Errorf("configs: key %q: a path key must be a string or a list of strings", key)
		}
		*out = append(*out, field{Key: key, Help: sf.Tag.Get("help"), Kind: sf.Type, Val: fv, Path: pt})
	}
	return nil
}

func supported(t reflect.Type) bool {
	if t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		return true
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.String, reflect.Int, reflect.Float64:
			return true
		}
	}
	return false
}

// typeName is the user-facing name of a field type, used in errors.
func typeName(t reflect.Type) string {
	if t == durationType {
		return "duration (e.g. 4s, 1m30s)"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	}
	return t.Kind().String()
}

// parseString converts a text value (environment variable or flag) into the
// Go type of the field. Lists are comma separated.
func parseString(t reflect.Type, s string) (any, error) {
	if t == durationType {
		return time.ParseDuration(strings.TrimSpace(s))
	}
	switch t.Kind() {
	case reflect.String:
		return s, nil
	case reflect.Bool:
		return strconv.ParseBool(strings.TrimSpace(s))
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("not an integer: %q", s)
		}
		if t.Kind() == reflect.Int {
			return int(n), nil
		}
		return n, nil
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("not a number: %q", s)
		}
		return f, nil
	case reflect.Slice:
		if strings.TrimSpace(s) == "" {
			return reflect.MakeSlice(t, 0, 0).Interface(), nil
		}
		parts := strings.Split(s, ",")
		out := reflect.MakeSlice(t, len(parts), len(parts))
		for i, p := range parts {
			e, err := parseString(t.Elem(), strings.TrimSpace(p))
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out.Index(i).Set(reflect.ValueOf(e).Convert(t.Elem()))
		}
		return out.Interface(), nil
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}

// envName is the environment variable that overrides key: ACECODER_ followed
// by the key upper-cased with dots as underscores.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// FlagName is the command-line flag of a key: the key with dots and
// underscores as dashes ("optim.learning_rate" → --optim-learning-rate).
// NormalizeFlagName makes the OpenRLHF spelling (--optim-learning_rate,
// --micro_train_batch_size) and the dotted one name the same flag.
func FlagName(key string) string { return flagReplacer.Replace(key) }

var flagReplacer = strings.NewReplacer(".", "-", "_", "-")

// NormalizeFlagName is the pflag normalisation every binary installs: "_"
// and "." are read as "-", so each flag has one canonical name and accepts
// every spelling of it.
func NormalizeFlagName(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	return pflag.NormalizedName(flagReplacer.Replace(name))
}
