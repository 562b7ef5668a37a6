package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"acecoder/checkpoints"
	"acecoder/internal/cli"
)

func init() { register(newCheckpointsCmd) }

func newCheckpointsCmd(*cli.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoints",
		Short: "list and verify training checkpoints",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list ROOT",
		Short: "list the step directories under ROOT, verifying each (size and sha256 of every file)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listCheckpoints(cmd.OutOrStdout(), args[0])
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "verify PATH...",
		Short: "verify checkpoint directories; fails naming each bad file",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return verifyCheckpoints(cmd.OutOrStdout(), args)
		},
	})
	return cmd
}

// listCheckpoints prints one line per step directory, newest first, and the
// checkpoint --resume latest would pick.
func listCheckpoints(w io.Writer, root string) error {
	steps, err := checkpoints.Steps(root)
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		return fmt.Errorf("%s: %w", root, checkpoints.ErrNoCheckpoint)
	}
	latest := ""
	for _, step := range steps {
		dir := filepath.Join(root, checkpoints.StepDirName(step))
		c, err := checkpoints.Load(dir)
		if err != nil {
			fmt.Fprintf(w, "%s  INVALID  %s\n", filepath.Base(dir), oneLineErr(err))
			continue
		}
		if latest == "" {
			latest = dir
		}
		fmt.Fprintf(w, "%s  ok  %s\n", filepath.Base(dir), describe(c))
	}
	if latest == "" {
		return fmt.Errorf("%s: none of %d step directories verifies: %w", root, len(steps), checkpoints.ErrNoCheckpoint)
	}
	fmt.Fprintf(w, "latest: %s\n", latest)
	return nil
}

// verifyCheckpoints loads each path and fails if any is refused.
func verifyCheckpoints(w io.Writer, paths []string) error {
	var errs []error
	for _, p := range paths {
		c, err := checkpoints.Load(p)
		if err != nil {
			fmt.Fprintf(w, "%s  INVALID  %s\n", p, oneLineErr(err))
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(w, "%s  ok  step %d  %s\n", p, c.Step(), describe(c))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d checkpoints invalid: %w", len(errs), len(paths), errors.Join(errs...))
	}
	return nil
}

func describe(c *checkpoints.Checkpoint) string {
	var total int64
	for _, info := range c.Manifest.Files {
		total += info.Size
	}
	return fmt.Sprintf("%d files  %.1f MiB  created %s", len(c.Manifest.Files), float64(total)/(1<<20),
		c.Manifest.Created.Format("2006-01-02 15:04:05Z"))
}

// oneLineErr joins the lines of a joined error.
func oneLineErr(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
