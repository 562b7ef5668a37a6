package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	yaml "go.yaml.in/yaml/v3"
)

// Sweep is a parsed sweep file:
//
//	name: lr-sweep                 # optional, default the file name
//	base: rm-tiny.yaml             # config every run starts from (or --config), relative to this file
//	grid:                          # cartesian product of these overrides
//	  optim.learning_rate: [1.0e-3, 3.0e-4]
//	  margin: [0, 0.5]
//	runs:                          # and/or an explicit list of override sets
//	  - {optim.learning_rate: 1.0e-4, max_epochs: 3}
//
// Keys are config keys; values must have the key's type.
type Sweep struct {
	Name string
	Base string
	Runs []SweepRun
}

// SweepRun is one member of a sweep.
type SweepRun struct {
	Name      string
	Overrides []Override // in key order
}

// Override sets one config key, given as the text a flag would take.
type Override struct {
	Key, Value string
}

// Args renders the overrides as command-line flags.
func (r SweepRun) Args() []string {
	var out []string
	for _, o := range r.Overrides {
		out = append(out, "--"+FlagName(o.Key)+"="+o.Value)
	}
	return out
}

type sweepFile struct {
	Name string                 `yaml:"name"`
	Base string                 `yaml:"base"`
	Grid map[string]yaml.Node   `yaml:"grid"`
	Runs []map[string]yaml.Node `yaml:"runs"`
}

// LoadSweep parses and expands a sweep file against the config cfg (which
// holds the defaults): every override is type-checked, and every run's
// resolved config validated, before anything runs.
func LoadSweep(path string, cfg func() any, baseOverride string) (*Sweep, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", path, err)
	}
	var f sweepFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("sweep %s: %w", path, err)
	}
	s := &Sweep{Name: f.Name, Base: f.Base}
	if s.Base != "" && !filepath.IsAbs(s.Base) {
		// Like every path in a config file: relative to the file's folder.
		if s.Base, err = filepath.Abs(filepath.Join(filepath.Dir(path), s.Base)); err != nil {
			return nil, fmt.Errorf("sweep %s: base: %w", path, err)
		}
	}
	if baseOverride != "" {
		s.Base = baseOverride
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(strings.TrimSuffix(baseName(path), ".yaml"), ".yml")
	}
	sets, err := expandGrid(path, f.Grid)
	if err != nil {
		return nil, err
	}
	for i, r := range f.Runs {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var set []Override
		for _, k := range keys {
			n := r[k]
			v, err := nodeText(&n)
			if err != nil {
				return nil, fmt.Errorf("sweep %s:%d: run %d key %q: %w", path, n.Line, i, k, err)
			}
			set = append(set, Override{k, v})
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("sweep %s: neither grid nor runs gives a run", path)
	}
	seen := map[string]bool{}
	var errs []error
	for i, set := range sets {
		run := SweepRun{Name: runName(i, set), Overrides: set}
		if seen[run.Name] {
			continue // the same override set twice
		}
		seen[run.Name] = true
		if err := checkRun(cfg(), s.Base, run); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: run %s: %w", path, run.Name, err))
		}
		s.Runs = append(s.Runs, run)
	}
	return s, errors.Join(errs...)
}

// expandGrid is the cartesian product of the grid's values, keys sorted.
func expandGrid(path string, grid map[string]yaml.Node) ([][]Override, error) {
	if len(grid) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(grid))
	for k := range grid {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sets := [][]Override{nil}
	for _, k := range keys {
		vals := grid[k]
		if vals.Kind != yaml.SequenceNode || len(vals.Content) == 0 {
			return nil, fmt.Errorf("sweep %s:%d: grid key %q: want a non-empty list of values", path, vals.Line, k)
		}
		var next [][]Override
		for _, prev := range sets {
			for _, n := range vals.Content {
				v, err := nodeText(n)
				if err != nil {
					return nil, fmt.Errorf("sweep %s:%d: grid key %q: %w", path, n.Line, k, err)
				}
				next = append(next, append(slices.Clone(prev), Override{k, v}))
			}
		}
		sets = next
	}
	return sets, nil
}

// checkRun resolves one run's config exactly as the child process will.
func checkRun(cfg any, base string, run SweepRun) error {
	fs := pflag.NewFlagSet("sweep", pflag.ContinueOnError)
	if err := BindFlags(fs, cfg); err != nil {
		return err
	}
	for _, o := range run.Overrides {
		if fs.Lookup(FlagName(o.Key)) == nil {
			return fmt.Errorf("unknown key %q", o.Key)
		}
		if err := fs.Set(FlagName(o.Key), o.Value); err != nil {
			return fmt.Errorf("key %q: %w", o.Key, err)
		}
	}
	return Load(cfg, Sources{File: base, Flags: fs, Env: func(string) (string, bool) { return "", false }})
}

// nodeText renders a YAML value as flag text: scalars as written, lists
// comma-joined.
func nodeText(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return "", errors.New("nested lists are not supported")
			}
			parts[i] = e.Value
		}
		return strings.Join(parts, ","), nil
	}
	return "", errors.New("want a scalar or a list")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._=+-]+`)

// runName is a stable, file-system-safe name: index and key=value pairs
// (last key segment only).
func runName(i int, set []Override) string {
	parts := []string{fmt.Sprintf("%03d", i)}
	for _, o := range set {
		k := o.Key[strings.LastIndex(o.Key, ".")+1:]
		parts = append(parts, k+"="+o.Value)
	}
	name := unsafeName.ReplaceAllString(strings.Join(parts, "_"), "-")
	if len(name) > 120 {
		name = name[:120]
	}
	return name
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
