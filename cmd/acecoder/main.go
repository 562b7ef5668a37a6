// Command acecoder is everything besides the two trainers: the data
// pipeline, program execution, sampling, serving, evaluation, benchmarks,
// inspection tools, the training dashboard and the end-to-end demo.
package main

import (
	"github.com/spf13/cobra"

	"acecoder/internal/cli"
)

// A subcommand file calls register from its init function with a
// constructor; main builds the tree from them.
var subcommands []func(*cli.Globals) *cobra.Command

func register(f func(*cli.Globals) *cobra.Command) { subcommands = append(subcommands, f) }

func newRoot() *cobra.Command {
	root, g := cli.NewRoot("acecoder", "AceCoder in Go: data, execution, sampling, evaluation and tools")
	for _, f := range subcommands {
		root.AddCommand(f(g))
	}
	return root
}

func main() { cli.Main(newRoot()) }
