package configs

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	yaml "go.yaml.in/yaml/v3"
)

// BindFlags registers one flag per config key on fs, with the struct's
// current values as defaults and the `help` tags as usage, and installs
// NormalizeFlagName. Load applies only the flags the user changed.
func BindFlags(fs *pflag.FlagSet, cfg any) error {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return err
	}
	fs.SetNormalizeFunc(NormalizeFlagName)
	for _, f := range fields {
		name := FlagName(f.Key)
		if fs.Lookup(name) != nil {
			continue // a command-level flag of the same name wins
		}
		usage := f.Help
		if usage == "" {
			usage = "config key " + f.Key
		}
		usage += fmt.Sprintf(" [env %s]", envName(f.Key))
		switch x := f.Val.Interface().(type) {
		case time.Duration:
			fs.Duration(name, x, usage)
		case string:
			fs.String(name, x, usage)
		case bool:
			fs.Bool(name, x, usage)
		case int:
			fs.Int(name, x, usage)
		case int64:
			fs.Int64(name, x, usage)
		case float64:
			fs.Float64(name, x, usage)
		case []string:
			fs.StringSlice(name, x, usage)
		case []int:
			fs.IntSlice(name, x, usage)
		case []float64:
			fs.Float64Slice(name, x, usage)
		default:
			return fmt.Errorf("configs: key %q: no flag for type %s", f.Key, f.Kind)
		}
	}
	return nil
}

// Keys lists the config keys of cfg with their help text, in order.
func Keys(cfg any) ([][2]string, error) {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return nil, err
	}
	out := make([][2]string, len(fields))
	for i, f := range fields {
		out[i] = [2]string{f.Key, f.Help}
	}
	return out, nil
}

// YAML renders the resolved config as YAML with the keys Load accepts, each
// preceded by its help text as a comment.
func YAML(cfg any) (string, error) { return MarkedYAML(cfg, nil) }

// MarkedYAML is YAML with the problems of a failed Validate marked: a
// "# REQUIRED: …" line above each empty key that needs a value, "# INVALID:
// …" above each other key at fault, and problems that name no key at the
// top. The output is a template to fill in.
func MarkedYAML(cfg any, problems error) (string, error) {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return "", err
	}
	byKey, other := KeyErrors(problems)
	notes := map[string][]string{}
	for _, ke := range byKey {
		notes[ke.Key] = append(notes[ke.Key], ke.Msg)
	}
	var b strings.Builder
	for _, e := range other {
		fmt.Fprintf(&b, "# INVALID: %s\n", oneLine(e.Error()))
	}
	for _, ke := range byKey {
		if !slices.ContainsFunc(fields, func(f field) bool { return f.Key == ke.Key }) {
			fmt.Fprintf(&b, "# INVALID: %s\n", ke.Error())
		}
	}
	section := ""
	for _, f := range fields {
		indent := ""
		key := f.Key
		if i := strings.LastIndex(f.Key, "."); i >= 0 {
			if s := f.Key[:i]; s != section {
				section = s
				fmt.Fprintf(&b, "%s:\n", s)
			}
			indent, key = "  ", f.Key[i+1:]
		} else {
			section = ""
		}
		if f.Help != "" {
			fmt.Fprintf(&b, "%s# %s\n", indent, f.Help)
		}
		for _, msg := range notes[f.Key] {
			label := "INVALID"
			if f.Val.IsZero() || (f.Kind.Kind() == reflect.Slice && f.Val.Len() == 0) {
				label = "REQUIRED"
			}
			fmt.Fprintf(&b, "%s# %s: %s\n", indent, label, msg)
		}
		val := f.Val.Interface()
		if d, ok := val.(time.Duration); ok {
			val = d.String()
		}
		if f.Kind.Kind() == reflect.Slice && f.Val.Len() == 0 {
			fmt.Fprintf(&b, "%s%s: []\n", indent, key)
			continue
		}
		out, err := yaml.Marshal(map[string]any{key: val})
		if err != nil {
			return "", err
		}
		for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			b.WriteString(indent + line + "\n")
		}
	}
	return b.String(), nil
}

// oneLine joins the lines of a multi-line error with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Split(strings.TrimSpace(s), "\n"), "; ")
}
