// Command acecoder is everything besides the two trainers: the data
// pipeline, program execution, sampling, serving, evaluation, benchmarks,
// inspection tools and the end-to-end demo.
package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
)

// A subcommand file calls register from its init function with a
// constructor; main builds the tree from them.
var subcommands []func(*cli.Globals) *cobra.Command

func register(f func(*cli.Globals) *cobra.Command) { subcommands = append(subcommands, f) }

// planned lists subcommands of the design that this build may not contain
// yet; each one that no file registers answers "not built yet".
var planned = [][2]string{
	{"exec", "execute programs against their tests in the sandbox"},
	{"serve-reward", "serve rule rewards over HTTP (OpenRLHF remote reward protocol)"},
	{"data", "data pipeline: synth, filter, sample, pairs, hard, stats, toy"},
	{"sample", "sample N completions per prompt from a local model"},
	{"serve", "OpenAI-compatible completion server for a local model"},
	{"score", "score samples with a reward model"},
	{"eval", "greedy pass@1 and pass@k on HumanEval/MBPP-format files"},
	{"bon", "best-of-N selection with a reward model (Greedy / Average / Oracle / RM@N)"},
	{"sft", "supervised fine-tuning of a policy"},
	{"worker", "execution / scoring worker on a NATS queue"},
	{"tokenize", "encode or decode text with a tokenizer.json"},
	{"chat-template", "render a chat template for a conversation"},
	{"logits", "print the logits of a model for given token ids"},
	{"plot", "plot the metrics of runs"},
	{"bench", "benchmarks"},
	{"demo", "the end-to-end small-scale AceCoder replication"},
}

func newRoot() *cobra.Command {
	root, g := cli.NewRoot("acecoder", "AceCoder in Go: data, execution, sampling, evaluation and tools")
	for _, f := range subcommands {
		root.AddCommand(f(g))
	}
	for _, p := range planned {
		if slices.ContainsFunc(root.Commands(), func(c *cobra.Command) bool { return c.Name() == p[0] }) {
			continue
		}
		name := p[0]
		root.AddCommand(&cobra.Command{
			Use: name, Short: p[1] + " (not built yet)", DisableFlagParsing: true,
			RunE: func(*cobra.Command, []string) error {
				return fmt.Errorf("%s: %w", name, cli.ErrNotBuilt)
			},
		})
	}
	return root
}

func main() { cli.Main(newRoot()) }
