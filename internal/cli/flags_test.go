package cli

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// CheckFlags finds each kind of breach in a tree built without the
// convention.
func TestCheckFlagsFindsBreaches(t *testing.T) {
	root := &cobra.Command{Use: "bad"}
	sub := &cobra.Command{Use: "sub", Run: func(*cobra.Command, []string) {}}
	root.AddCommand(sub)
	f := sub.Flags()
	f.Int("max_len", 0, "a")
	f.Int("max-len", 0, "b")
	f.String("model-path", "", "policy")
	f.String("rm", "", "reward model")
	f.String("model", "", "policy again")
	f.Int("quiet-ish", 0, "")
	errs := CheckFlags(root)
	var all []string
	for _, e := range errs {
		all = append(all, e.Error())
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{
		"bad sub: --max-len and --max_len differ only by -/_",
		"bad sub: --max_len is not in canonical form --max-len",
		"bad sub: --rm names what is called --reward-pretrain everywhere else",
		"bad sub: --model and --model-path name one idea",
		"bad: no --version",
		"bad sub: --quiet-ish has no help text",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("CheckFlags missed %q; it said:\n%s", want, text)
		}
	}
}

// A tree built with NewRoot and Alias passes, and every spelling works.
func TestConventionAndAliases(t *testing.T) {
	root, _ := NewRoot("tool", "test tool")
	var got struct {
		out     string
		workers int
		slice   []string
		flag    bool
	}
	cmd := &cobra.Command{Use: "run", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		if !cmd.Flags().Changed("exec-workers") {
			t.Error("the alias did not mark --exec-workers changed")
		}
		return nil
	}}
	cmd.Flags().StringVar(&got.out, "out", "", "output file")
	cmd.Flags().IntVar(&got.workers, "exec_workers", 0, "sandboxed workers")
	cmd.Flags().StringSliceVar(&got.slice, "train_data", nil, "files")
	cmd.Flags().BoolVar(&got.flag, "allow-remote", false, "a switch")
	root.AddCommand(cmd)
	Alias(cmd, "workers", "exec-workers")
	Alias(cmd, "output", "out")
	Alias(cmd, "remote", "allow-remote")
	if errs := CheckFlags(root); len(errs) != 0 {
		t.Fatalf("CheckFlags: %v", errs)
	}
	var stderr bytes.Buffer
	root.SetErr(&stderr)
	code := Run(context.Background(), root, []string{"run", "--output", "o.jsonl", "--workers=3", "--train-data", "a", "--train.data", "b", "--remote"}, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got.out != "o.jsonl" || got.workers != 3 || strings.Join(got.slice, ",") != "a,b" || !got.flag {
		t.Errorf("values %+v", got)
	}
	for _, want := range []string{"tool: --output is deprecated; use --out", "tool: --workers is deprecated; use --exec-workers"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
	var help bytes.Buffer
	root.SetOut(&help)
	Run(context.Background(), root, []string{"run", "--help"}, &help)
	if !strings.Contains(help.String(), "--exec-workers") || strings.Contains(help.String(), "--workers") || strings.Contains(help.String(), "exec_workers") {
		t.Errorf("help shows aliases or underscores:\n%s", help.String())
	}
}

func TestCommandLineErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"run", "extra"}, {"nope"}, {"run", "--nope"}, {"need"}} {
		root, _ := NewRoot("tool", "test tool")
		root.AddCommand(&cobra.Command{Use: "run", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return nil }})
		root.AddCommand(&cobra.Command{Use: "need FILE", Args: cobra.MinimumNArgs(1), RunE: func(*cobra.Command, []string) error { return nil }})
		var stderr bytes.Buffer
		if code := Run(context.Background(), root, args, &stderr); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, stderr.String())
		}
	}
}

func TestVersionNamesCommitGoAndGoMLX(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "v0.3.0"},
		Deps:     []*debug.Module{{Path: "github.com/gomlx/gomlx", Version: "v0.28.16"}},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionOf(bi), "v0.3.0 (commit 0123456789ab+dirty, go1.27.3, GoMLX v0.28.16)"; got != want {
		t.Errorf("version %q, want %q", got, want)
	}
	root, _ := NewRoot("tool", "test tool")
	var out bytes.Buffer
	root.SetOut(&out)
	if code := Run(context.Background(), root, []string{"--version"}, &out); code != ExitOK || !strings.HasPrefix(out.String(), "tool ") || !strings.Contains(out.String(), "GoMLX") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}
}
