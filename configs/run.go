package configs

import (
	"errors"

	"acecoder/backend"
)

// Run holds the keys every command shares: where the run directory goes, the
// compute backend and the seed.
type Run struct {
	Name    string `mapstructure:"name" help:"run name; the run directory is <runs_dir>/<name>-<timestamp> unless out_dir is set"`
	Runs    string `mapstructure:"runs_dir" path:"out" help:"parent folder of run directories"`
	OutDir  string `mapstructure:"out_dir" path:"out" help:"exact run directory (overrides runs_dir/name-timestamp)"`
	Backend string `mapstructure:"backend" help:"compute backend: go | xla:/abs/pjrt_plugin.so | onnx:/abs/libonnxruntime.so"`
	Seed    int64  `mapstructure:"seed" help:"seed of every random number generator of the run"`
}

// DefaultRun is the shared part of every command's defaults.
func DefaultRun(name string) Run {
	return Run{Name: name, Runs: "runs", Backend: backend.Default, Seed: 42}
}

// Validate checks the shared keys.
func (r Run) Validate() error {
	var errs []error
	if r.Name == "" && r.OutDir == "" {
		errs = append(errs, keyErr("name", "must not be empty (or set out_dir)"))
	}
	if _, err := backend.Parse(r.Backend); err != nil {
		errs = append(errs, keyErr("backend", "%v", err))
	}
	return errors.Join(errs...)
}

// positive appends an error naming key when v <= 0.
func positive[T int | int64 | float64](errs []error, key string, v T) []error {
	if v <= 0 {
		return append(errs, keyErr(key, "must be > 0, got %v", v))
	}
	return errs
}

// inRange appends an error naming key when v is outside [lo, hi].
func inRange(errs []error, key string, v, lo, hi float64) []error {
	if v < lo || v > hi {
		return append(errs, keyErr(key, "must be in [%g, %g], got %g", lo, hi, v))
	}
	return errs
}

// oneOf appends an error naming key when v is not among allowed.
func oneOf(errs []error, key, v string, allowed ...string) []error {
	for _, a := range allowed {
		if v == a {
			return errs
		}
	}
	return append(errs, keyErr(key, "must be one of %q, got %q", allowed, v))
}
