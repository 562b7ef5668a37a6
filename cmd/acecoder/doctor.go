package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/spf13/cobra"
	"golang.org/x/sys/cpu"

	"acecoder/backend"
	"acecoder/internal/cli"
	"acecoder/rewards"
)

func init() { register(newDoctorCmd) }

func newDoctorCmd(*cli.Globals) *cobra.Command {
	var backendSpec, python string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "check the installation: backend, SIMD, Python, sandbox protections, versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return doctor(cmd.Context(), cmd.OutOrStdout(), backendSpec, python)
		},
	}
	cmd.Flags().StringVar(&backendSpec, "backend", backend.Default, "compute backend: go | xla:/abs/pjrt_plugin.so | onnx:/abs/lib.so")
	cmd.Flags().StringVar(&python, "python", "", "Python interpreter to check (default: /usr/bin/python3, then python3 on PATH)")
	return cmd
}

func doctor(ctx context.Context, w io.Writer, backendSpec, python string) error {
	fmt.Fprintf(w, "go:       %s %s/%s, %d CPUs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(w, "simd:     GOEXPERIMENT=simd %s; CPU AVX2=%v AVX512F=%v\n", onOff(simdBuild), cpu.X86.HasAVX2, cpu.X86.HasAVX512F)
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if strings.HasPrefix(dep.Path, "github.com/gomlx/") {
				fmt.Fprintf(w, "module:   %s %s\n", dep.Path, dep.Version)
			}
		}
	}
	if err := checkPython(ctx, w, python); err != nil {
		fmt.Fprintf(w, "python:   %v\n", err)
	}
	fmt.Fprintln(w, "sandbox:  protections this host gives the test runner")
	for _, line := range rewards.Host().Lines() {
		fmt.Fprintln(w, "  "+line)
	}
	spec, err := backend.Parse(backendSpec)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	start := time.Now()
	b, err := backend.Open(spec.String())
	if err != nil {
		return err
	}
	// A 2x2 matrix product summed: [[1,2],[3,4]]^2 = [[7,10],[15,22]] → 54.
	out, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.MatMul(x, x))
	}, tensors.FromValue([][]float32{{1, 2}, {3, 4}}))
	if err != nil {
		return fmt.Errorf("backend %s: test computation: %w", spec, err)
	}
	got := tensors.ToScalar[float32](out)
	if got != 54 {
		return fmt.Errorf("backend %s: test computation gave %v, want 54", spec, got)
	}
	fmt.Fprintf(w, "backend:  %s (%s): matmul check ok in %s\n", spec, b.Description(), time.Since(start).Round(time.Millisecond))
	return nil
}

// checkPython prints the interpreter that the runner would use.
func checkPython(ctx context.Context, w io.Writer, python string) error {
	if python == "" {
		python = "/usr/bin/python3"
		if _, err := os.Stat(python); err != nil {
			p, err := exec.LookPath("python3")
			if err != nil {
				return fmt.Errorf("no python3 found (install Debian's python3)")
			}
			python = p
		}
	}
	abs, err := filepath.Abs(python)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, abs, "-I", "-S", "-c", "import sys; print(sys.version.split()[0])").Output()
	if err != nil {
		return fmt.Errorf("%s does not start: %w", abs, err)
	}
	fmt.Fprintf(w, "python:   %s %s\n", abs, strings.TrimSpace(string(out)))
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off (pure-Go matmul is ~10x slower; build with GOEXPERIMENT=simd)"
}
