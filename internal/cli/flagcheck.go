package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"acecoder/configs"
)

// An idea is one thing a flag can name, with its one name and the other
// names it has gone by (here or in the tools users come from). A visible
// flag with one of the other names is an error of CheckFlags; an old name
// may live on only as a hidden Alias.
type idea struct {
	name   string
	others []string
}

// ideas lists the names that have been confused. Names follow OpenRLHF
// where it has one (reward_pretrain, generate_max_len, micro_train_batch_size)
// and the config keys elsewhere (model.path → --model-path).
var ideas = []idea{
	{"model-path", []string{"model", "model-dir", "pretrain", "policy"}},
	{"model-init-config", []string{"init-config"}},
	{"reward-pretrain", []string{"rm", "rm-path", "reward-model", "rm-dir"}},
	{"exec-workers", []string{"workers", "slots", "sandbox-workers"}},
	{"exec-timeout", []string{"timeout", "test-timeout"}},
	{"generate-max-len", []string{"max-new-tokens", "max-tokens", "max-completion-tokens"}},
	{"out", []string{"output", "output-path", "out-file"}},
	{"out-dir", []string{"output-dir"}},
	{"batch-size", []string{"batch"}},
	{"rule-reward", []string{"reward-kind"}},
	{"concurrency", []string{"max-concurrent", "max-concurrency"}},
	{"top-p", []string{"topp", "nucleus"}},
}

// CheckFlags walks every command of a binary and reports each breach of the
// flag convention: a visible flag whose name is not in canonical form (so
// the "-"/"_" normalisation is not installed), two flags of one command that
// differ only by "-"/"_"/".", a visible flag with another idea's old name, an
// idea named twice in one command, a flag without help text, and a root
// without --version.
func CheckFlags(root *cobra.Command) []error {
	var errs []error
	root.InitDefaultVersionFlag()
	if root.Flags().Lookup("version") == nil {
		errs = append(errs, fmt.Errorf("%s: no --version", root.Name()))
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		errs = append(errs, checkCommand(c)...)
		for _, sub := range c.Commands() {
			if sub.Name() != "help" && sub.Name() != "completion" {
				walk(sub)
			}
		}
	}
	walk(root)
	return errs
}

func checkCommand(c *cobra.Command) []error {
	var errs []error
	path := c.CommandPath()
	canonical := map[string]string{} // canonical form → raw name
	usedIdea := map[string]string{}  // idea → flag that names it
	visit := func(f *pflag.Flag) {
		canon := string(configs.NormalizeFlagName(nil, f.Name))
		if prev, ok := canonical[canon]; ok && prev != f.Name {
			errs = append(errs, fmt.Errorf("%s: --%s and --%s differ only by -/_", path, prev, f.Name))
		}
		canonical[canon] = f.Name
		if f.Hidden || f.Deprecated != "" {
			return // an alias or an internal flag
		}
		if canon != f.Name {
			errs = append(errs, fmt.Errorf("%s: --%s is not in canonical form --%s (is the flag normalisation installed?)", path, f.Name, canon))
		}
		if strings.TrimSpace(f.Usage) == "" {
			errs = append(errs, fmt.Errorf("%s: --%s has no help text", path, f.Name))
		}
		for _, id := range ideas {
			if slices.Contains(id.others, canon) {
				errs = append(errs, fmt.Errorf("%s: --%s names what is called --%s everywhere else", path, f.Name, id.name))
			}
			if canon == id.name || slices.Contains(id.others, canon) {
				if prev, ok := usedIdea[id.name]; ok && prev != f.Name {
					errs = append(errs, fmt.Errorf("%s: --%s and --%s name one idea", path, prev, f.Name))
				}
				usedIdea[id.name] = f.Name
			}
		}
	}
	c.InheritedFlags().VisitAll(visit)
	c.LocalFlags().VisitAll(visit)
	return errs
}
