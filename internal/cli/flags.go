package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"acecoder/configs"
)

// The flag convention of every binary: one name per idea, OpenRLHF's where
// it has one, written with dashes in help; "_" and "." are read as "-"
// (configs.NormalizeFlagName), so --micro_train_batch_size and
// --micro-train-batch-size are one flag. Names of earlier versions stay as
// hidden aliases (Alias) that still work and say what to use instead.

// Alias registers old as a hidden, deprecated spelling of the flag target
// of cmd: setting --old sets --target (and marks it changed) and prints a
// one-line notice on cmd's stderr. target must exist already.
func Alias(cmd *cobra.Command, old, target string) {
	fs := cmd.Flags()
	t := fs.Lookup(target)
	if t == nil {
		panic(fmt.Sprintf("cli: alias --%s of a flag --%s that %s does not have", old, target, cmd.Name()))
	}
	v := &aliasValue{fs: fs, target: t.Name, typ: t.Value.Type(), cmd: cmd, old: old}
	fl := fs.VarPF(v, old, "", "deprecated: use --"+t.Name)
	fl.NoOptDefVal = t.NoOptDefVal // bool flags take no argument
	fl.Hidden = true
	// Not fl.Deprecated: pflag would print its own notice to os.Stderr,
	// beside ours on the command's stderr.
	fl.Annotations = map[string][]string{aliasAnnotation: {t.Name}}
}

// aliasAnnotation marks an alias flag and names its target.
const aliasAnnotation = "acecoder/alias-of"

// aliasValue forwards every Set to the target flag through the flag set,
// so the target is marked changed exactly as if it had been given.
type aliasValue struct {
	fs          *pflag.FlagSet
	target, typ string
	old         string
	cmd         *cobra.Command
	warned      bool
}

func (a *aliasValue) String() string { return "" }
func (a *aliasValue) Type() string   { return a.typ }
func (a *aliasValue) Set(s string) error {
	if !a.warned {
		a.warned = true
		fmt.Fprintf(a.stderr(), "%s: --%s is deprecated; use --%s\n", a.cmd.Root().Name(), a.old, a.target)
	}
	return a.fs.Set(a.target, s)
}

func (a *aliasValue) stderr() io.Writer { return a.cmd.ErrOrStderr() }

// usageArgs wraps the positional-argument check of every command of the
// tree so its failures ("requires at least 1 arg") exit 2 like other
// command-line errors.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return UsageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// NeedInputs checks, before a command does anything, that each input path
// it was given exists; flags maps a flag name to its value (empty values are
// skipped: a missing required flag is the command's own error). A missing
// path is a usage error naming the flag and the path.
func NeedInputs(flags ...[2]string) error {
	var errs []string
	for _, f := range flags {
		if f[1] == "" {
			continue
		}
		if err := configs.CheckPath(f[1]); err != nil {
			errs = append(errs, fmt.Sprintf("--%s %v", f[0], err))
		}
	}
	if len(errs) > 0 {
		return Usagef("%s", strings.Join(errs, "; "))
	}
	return nil
}
