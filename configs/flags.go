package configs

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/spf13/pflag"
	yaml "go.yaml.in/yaml/v3"
)

// BindFlags registers one flag per config key on fs, with the struct's
// current values as defaults and the `help` tags as usage. Load applies only
// the flags the user changed.
func BindFlags(fs *pflag.FlagSet, cfg any) error {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return err
	}
	for _, f := range fields {
		name := flagName(f.Key)
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
func YAML(cfg any) (string, error) {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return "", err
	}
	var b strings.Builder
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
