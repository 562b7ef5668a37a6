package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/spf13/cobra"

	"acecoder/board"
	"acecoder/internal/cli"
)

func init() { register(newBoardCmd) }

func newBoardCmd(*cli.Globals) *cobra.Command {
	var addr string
	var allowRemote bool
	var depth int
	cmd := &cobra.Command{
		Use:   "board [RUNS_DIR]",
		Short: "live training dashboard in the browser: the runs and sweeps under RUNS_DIR (default runs) and their curves",
		Long: `Serves a web page that lists the run directories under RUNS_DIR (folders
holding metrics.jsonl, sweeps grouped) and draws their metrics, several runs
overlaid with one legend, updating every second while they are written, with
a run's config.yaml and run.json beside the curves. Everything the page needs
is in this binary; it listens on loopback unless --allow-remote.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "runs"
			if len(args) == 1 {
				dir = args[0]
			}
			if err := cli.NeedInputs([2]string{"RUNS_DIR", dir}); err != nil {
				return err
			}
			ln, err := listen(addr, allowRemote)
			if err != nil {
				return err
			}
			return runBoard(cmd.Context(), board.Options{Root: dir, Depth: depth, Log: cmd.ErrOrStderr()}, ln, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:6006", "listen address")
	cmd.Flags().BoolVar(&allowRemote, "allow-remote", false, "allow a non-loopback listen address")
	cmd.Flags().IntVar(&depth, "depth", 4, "folders below RUNS_DIR searched for runs")
	return cmd
}

func runBoard(ctx context.Context, o board.Options, ln net.Listener, log io.Writer) error {
	s, err := board.New(o)
	if err != nil {
		ln.Close()
		return cli.UsageError{Err: err}
	}
	defer s.Close()
	fmt.Fprintf(log, "acecoder board: %s on http://%s/\n", o.Root, ln.Addr())
	return s.Serve(ctx, ln)
}
