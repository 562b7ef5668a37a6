// Package cli is the plumbing the three binaries share: signal handling,
// exit codes, global flags, config loading with --config / --print-config,
// and run directories.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/rundir"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2 // bad flags, config file or config values
)

// UsageError marks an error caused by the command line or config; it exits 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef builds a UsageError.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// Globals are the flags every subcommand of a binary accepts.
type Globals struct {
	Quiet bool // no progress bars
}

// NewRoot makes a binary's root command with the global flags, --version
// and the flag convention (configs.NormalizeFlagName, inherited by every
// subcommand added later). Flag parse errors become usage errors.
func NewRoot(use, short string) (*cobra.Command, *Globals) {
	g := &Globals{}
	root := &cobra.Command{Use: use, Short: short, SilenceUsage: true, SilenceErrors: true, Version: Version()}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetGlobalNormalizationFunc(configs.NormalizeFlagName)
	root.PersistentFlags().BoolVarP(&g.Quiet, "quiet", "q", false, "no progress bars")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{err} })
	return root, g
}

// Main runs root with a context cancelled by the first SIGINT/SIGTERM, prints a
// failure as one line on stderr and exits with the matching code.
func Main(root *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the default action comes back: a second
		// SIGINT/SIGTERM kills the process even while a final checkpoint is
		// being written.
		<-ctx.Done()
		stop()
	}()
	code := Run(ctx, root, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// Run executes root with args and returns the exit code: 2 for a bad
// command line, config or missing input (UsageError and cobra's own
// command-line errors), 1 for a failure during the work.
func Run(ctx context.Context, root *cobra.Command, args []string, stderr io.Writer) int {
	usageArgs(root)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	name := root.Name()
	fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err.Error()))
	var ue UsageError
	if errors.As(err, &ue) || isCobraUsage(err.Error()) {
		return ExitUsage
	}
	return ExitFailure
}

// isCobraUsage recognises the command-line errors cobra returns as plain
// errors.
func isCobraUsage(msg string) bool {
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// oneLine joins a multi-line error (errors.Join) with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Split(strings.TrimSpace(s), "\n"), "; ")
}

// Config wires a typed config into a command: --config FILE, --print-config
// and one flag per config key.
type Config struct {
	file  string
	print bool
	cfg   any
}

// WithConfig registers the config flags on cmd; cfg must hold the defaults.
func WithConfig(cmd *cobra.Command, cfg any) *Config {
	c := &Config{cfg: cfg}
	cmd.Flags().StringVar(&c.file, "config", "", "YAML config file (keys as below; flags and ACECODER_* environment variables override it)")
	cmd.Flags().BoolVar(&c.print, "print-config", false, "print the resolved config as YAML and exit (a template: keys that still need a value are marked REQUIRED)")
	if err := configs.BindFlags(cmd.Flags(), cfg); err != nil {
		panic(err) // a config struct the flag binder cannot handle is a programming error
	}
	return c
}

// Load resolves the config from defaults, file, environment and flags, and
// makes its paths absolute. With --print-config it prints the result,
// valid or not, with the keys that need attention marked, and reports
// printed=true.
func (c *Config) Load(cmd *cobra.Command) (printed bool, err error) {
	src := configs.Sources{File: c.file, Flags: cmd.Flags(), NoValidate: c.print}
	if err := configs.Load(c.cfg, src); err != nil {
		return false, UsageError{err}
	}
	if !c.print {
		return false, configs.AbsPaths(c.cfg)
	}
	var problems error
	if v, ok := c.cfg.(configs.Validator); ok {
		problems = v.Validate()
	}
	text, err := configs.MarkedYAML(c.cfg, problems)
	if err != nil {
		return false, err
	}
	_, err = io.WriteString(cmd.OutOrStdout(), text)
	return true, err
}

// StartRun checks that every input the config names exists (a usage error
// otherwise, with nothing created) and creates the run directory of a
// command with its resolved config.
func StartRun(cmd *cobra.Command, run configs.Run, cfg any) (*rundir.Run, error) {
	if err := configs.CheckInputs(cfg); err != nil {
		return nil, UsageError{fmt.Errorf("missing input: %w", err)}
	}
	text, err := configs.YAML(cfg)
	if err != nil {
		return nil, err
	}
	r, err := rundir.Create(rundir.Options{
		Dir: run.OutDir, Parent: run.Runs, Name: run.Name, Backend: run.Backend,
		Command: strings.Join(os.Args, " "), Config: text,
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: run directory %s\n", cmd.Root().Name(), r.Dir)
	return r, nil
}
