package configs

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	yaml "go.yaml.in/yaml/v3"
)

// EnvPrefix prefixes the environment variables that override config keys.
const EnvPrefix = "ACECODER"

// Validator is implemented by configs that check their values after loading.
type Validator interface {
	// Validate reports every problem at once (errors.Join), each naming its key.
	Validate() error
}

// Sources says where Load reads values from, lowest precedence first:
// the struct's current values (defaults), File, environment, Flags.
type Sources struct {
	File  string         // YAML file; empty for none
	Flags *pflag.FlagSet // flags registered by BindFlags; only changed ones apply
	Env   func(string) (string, bool)
	// NoValidate skips the config's Validate method (--print-config prints
	// a config that still lacks required keys, marking them).
	NoValidate bool
}

// Load fills *cfg from its sources. cfg must hold the defaults on entry.
// Unknown keys, wrong types and invalid values are errors naming the key and
// the file (with line) or the variable or flag. Relative paths the file sets
// (keys with a `path` tag) are resolved against the file's folder.
func Load(cfg any, src Sources) error {
	fields, err := fieldsOf(cfg)
	if err != nil {
		return err
	}
	v := viper.New()
	for _, f := range fields {
		v.SetDefault(f.Key, f.Val.Interface())
	}
	if src.File != "" {
		if err := loadFile(v, src.File, fields); err != nil {
			return err
		}
	}
	env := src.Env
	if env == nil {
		env = os.LookupEnv
	}
	for _, f := range fields {
		name := envName(f.Key)
		s, ok := env(name)
		if !ok {
			continue
		}
		val, err := parseString(f.Kind, s)
		if err != nil {
			return fmt.Errorf("environment %s (key %q): want %s: %v", name, f.Key, typeName(f.Kind), err)
		}
		v.Set(f.Key, val)
	}
	if src.Flags != nil {
		for _, f := range fields {
			fl := src.Flags.Lookup(FlagName(f.Key))
			if fl == nil || !fl.Changed {
				continue
			}
			val, err := parseString(f.Kind, flagText(fl))
			if err != nil {
				return fmt.Errorf("flag --%s: want %s: %v", fl.Name, typeName(f.Kind), err)
			}
			v.Set(f.Key, val)
		}
	}
	strict := func(c *mapstructure.DecoderConfig) {
		c.WeaklyTypedInput = false
		c.DecodeHook = mapstructure.StringToTimeDurationHookFunc()
	}
	if err := v.UnmarshalExact(cfg, strict); err != nil {
		return fmt.Errorf("config %s: %w", describe(src.File), err)
	}
	if val, ok := cfg.(Validator); ok && !src.NoValidate {
		if err := val.Validate(); err != nil {
			return fmt.Errorf("config %s: %w", describe(src.File), err)
		}
	}
	return nil
}

// flagText renders a flag's value as text; slice flags print as [a,b].
func flagText(fl *pflag.Flag) string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return fl.Value.String()
}

func describe(file string) string {
	if file == "" {
		return "(defaults, environment and flags)"
	}
	return file
}

// loadFile checks the YAML file against the known fields (unknown keys and
// wrong types, with line numbers) and then hands it to viper.
func loadFile(v *viper.Viper, file string, fields []field) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty file: defaults only
	}
	byKey := map[string]field{}
	for _, f := range fields {
		byKey[f.Key] = f
	}
	if err := checkNode(file, doc.Content[0], "", byKey); err != nil {
		return err
	}
	values := map[string]any{}
	if err := doc.Content[0].Decode(&values); err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	if err := resolvePaths(values, file, fields); err != nil {
		return err
	}
	return v.MergeConfigMap(values)
}

// checkNode walks a YAML mapping and reports the first problem found, with
// its line. Nested mappings are allowed where the config has a section.
func checkNode(file string, n *yaml.Node, prefix string, byKey map[string]field) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("config %s:%d: want a mapping of keys to values", file, n.Line)
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		f, ok := byKey[key]
		if !ok {
			if val.Kind == yaml.MappingNode && hasPrefix(byKey, key+".") {
				if err := checkNode(file, val, key+".", byKey); err != nil {
					errs = append(errs, err)
				}
				continue
			}
			errs = append(errs, fmt.Errorf("config %s:%d: unknown key %q%s", file, k.Line, key, suggest(key, byKey)))
			continue
		}
		if err := checkValue(f.Kind, val); err != nil {
			errs = append(errs, fmt.Errorf("config %s:%d: key %q: want %s, %v", file, val.Line, key, typeName(f.Kind), err))
		}
	}
	return errors.Join(errs...)
}

func hasPrefix(byKey map[string]field, p string) bool {
	for k := range byKey {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// checkValue checks a YAML value node against a Go type, by YAML tag.
func checkValue(t reflect.Type, n *yaml.Node) error {
	if t.Kind() == reflect.Slice {
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("got %s", describeNode(n))
		}
		for i, e := range n.Content {
			if err := checkValue(t.Elem(), e); err != nil {
				return fmt.Errorf("element %d: %v", i, err)
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("got %s", describeNode(n))
	}
	want := map[reflect.Kind][]string{
		reflect.String:  {"!!str"},
		reflect.Bool:    {"!!bool"},
		reflect.Int:     {"!!int"},
		reflect.Int64:   {"!!int"},
		reflect.Float64: {"!!int", "!!float"},
	}[t.Kind()]
	if t == durationType {
		if _, err := parseString(t, n.Value); err != nil || n.Tag != "!!str" {
			return fmt.Errorf("got %s", describeNode(n))
		}
		return nil
	}
	if !slices.Contains(want, n.Tag) {
		return fmt.Errorf("got %s", describeNode(n))
	}
	return nil
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if n.Tag == "!!null" {
		return "no value"
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}

// renamedKeys maps keys of earlier versions to their names now.
var renamedKeys = map[string]string{
	"rm":             "reward_pretrain",
	"workers":        "exec_workers",
	"timeout":        "exec_timeout",
	"max_new_tokens": "generate_max_len",
	"output":         "out",
}

// suggest names the key an old key was renamed to, or the closest known key
// when one is near (a typo).
func suggest(key string, byKey map[string]field) string {
	if to, ok := renamedKeys[key]; ok {
		if _, known := byKey[to]; known {
			return fmt.Sprintf(" (renamed to %q)", to)
		}
	}
	best, bestD := "", 4
	for k := range byKey {
		if d := editDistance(key, k); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
