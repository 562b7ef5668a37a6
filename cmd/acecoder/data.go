package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"acecoder/data"
	"acecoder/internal/cli"
	"acecoder/progress"
	"acecoder/rewards"
)

func init() { register(newDataCmd) }

func newDataCmd(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "data pipeline: synth, filter, sample, pairs, hard, stats",
		Long: `The AceCode data pipeline. Each stage reads JSONL (pairs, hard and stats also
read the AceCode-87K / AceCodePair-300K Parquet files) and writes JSONL.
synth, filter and sample append to --out and skip ids already there, so a
killed run is resumed by running the same command again. Failures are
recorded with their reason in --failures.`,
	}
	cmd.AddCommand(newSynthCmd(g), newFilterCmd(g), newSampleCmd(g), newPairsCmd(), newHardCmd(), newStatsCmd(), newToyCmd())
	return cmd
}

// ioFlags are the flags of every incremental stage.
type ioFlags struct {
	in, out, failures string
	workers           int
}

func (f *ioFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.in, "in", "", "input JSONL")
	fs.StringVar(&f.out, "out", "", "output JSONL (appended to; ids already there are skipped)")
	fs.StringVar(&f.failures, "failures", "", "failures JSONL (default: <out>.failures.jsonl)")
	fs.IntVar(&f.workers, "rows-in-flight", 8, "rows processed at once")
	cli.Alias(cmd, "workers", "rows-in-flight")
}

// open checks the flags and opens the failures log and a progress bar.
func (f *ioFlags) open(stage string, quiet bool, log io.Writer) (data.StageIO, func() error, error) {
	if f.in == "" || f.out == "" {
		return data.StageIO{}, nil, cli.Usagef("data %s: --in and --out are required", stage)
	}
	if err := cli.NeedInputs([2]string{"in", f.in}); err != nil {
		return data.StageIO{}, nil, err
	}
	if f.failures == "" {
		f.failures = f.out + ".failures.jsonl"
	}
	fl, err := data.OpenFailureLog(f.failures)
	if err != nil {
		return data.StageIO{}, nil, err
	}
	total, err := data.CountLines(f.in)
	if err != nil {
		fl.Close()
		return data.StageIO{}, nil, err
	}
	bar := progress.New(total, stage, progress.Options{Quiet: quiet})
	sio := data.StageIO{Input: f.in, Output: f.out, Failures: fl, Workers: f.workers, Progress: bar, Log: log}
	return sio, func() error { bar.Finish(); return fl.Close() }, nil
}

// llmFlags configure the chat client.
type llmFlags struct {
	endpoint, model, keyEnv string
	concurrency, retries    int
	rps                     float64
	burst                   int
	timeout                 time.Duration
	maxTokens               int
}

// add registers the flags; maxTokens is the default --generate-max-len
// (AceCoder's: 8192 for synthesis with gpt-4o-mini, vLLM's 1024 for
// sampling and the oracle).
func (f *llmFlags) add(cmd *cobra.Command, maxTokens int) {
	fs := cmd.Flags()
	fs.StringVar(&f.endpoint, "endpoint", "", "OpenAI-compatible base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1 (acecoder serve)")
	fs.StringVar(&f.model, "endpoint-model", "", "model name at the endpoint (the request's \"model\")")
	fs.StringVar(&f.keyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable holding the API key (may be unset for local servers)")
	fs.IntVar(&f.concurrency, "concurrency", 8, "requests in flight")
	fs.IntVar(&f.retries, "retries", 5, "retries per request on 429, 5xx, timeouts and transport errors")
	fs.Float64Var(&f.rps, "rps", 0, "requests per second (token bucket; 0 = unlimited)")
	fs.IntVar(&f.burst, "burst", 1, "token-bucket burst")
	fs.DurationVar(&f.timeout, "request-timeout", 2*time.Minute, "per-request timeout")
	fs.IntVar(&f.maxTokens, "generate-max-len", maxTokens, "max_tokens per reply (0: the server's default)")
	cli.Alias(cmd, "model", "endpoint-model")
	cli.Alias(cmd, "timeout", "request-timeout")
	cli.Alias(cmd, "max-tokens", "generate-max-len")
}

func (f *llmFlags) client(fl *data.FailureLog) (*data.Client, *data.Prompts, error) {
	if f.endpoint == "" || f.model == "" {
		return nil, nil, cli.Usagef("--endpoint and --endpoint-model are required")
	}
	c, err := data.NewClient(data.ClientConfig{
		Endpoint: f.endpoint, Model: f.model, APIKey: os.Getenv(f.keyEnv), Concurrency: f.concurrency,
		MaxRetries: f.retries, RequestsPerSecond: f.rps, Burst: f.burst, Timeout: f.timeout,
		Seed: uint64(time.Now().UnixNano()),
	}, fl)
	if err != nil {
		return nil, nil, cli.UsageError{Err: err}
	}
	p, err := data.LoadPrompts()
	return c, p, err
}

// execFlags select the executor: the sandboxed runner, or plain Python.
type dataExecFlags struct {
	python      string
	workers     int
	timeout     time.Duration
	unsandboxed bool
}

func (f *dataExecFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.python, "python", "", "Python interpreter (default /usr/bin/python3)")
	fs.IntVar(&f.workers, "exec-workers", 0, "sandboxed worker processes (default: one per CPU)")
	fs.DurationVar(&f.timeout, "exec-timeout", 4*time.Second, "wall-clock limit per test")
	fs.BoolVar(&f.unsandboxed, "unsandboxed", false, "run programs in plain Python without any sandbox (trusted programs only)")
}

func (f *dataExecFlags) executor(ctx context.Context) (data.Executor, func(), error) {
	if f.unsandboxed {
		return &data.UnsandboxedPython{Interpreter: f.python, Timeout: 8 * f.timeout, Workers: f.workers}, func() {}, nil
	}
	r, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: f.workers, Timeout: f.timeout, Python: f.python})
	if err != nil {
		return nil, nil, err
	}
	return data.NewRunnerExecutor(r), func() { r.Close() }, nil
}

func newSynthCmd(g *cli.Globals) *cobra.Command {
	var files ioFlags
	var llm llmFlags
	var temp float64
	var source, variant string
	cmd := &cobra.Command{
		Use:   "synth",
		Short: "seed programs {instruction?, program} → {id, source, question, tests} via an LLM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOfFlag("synth-prompt", variant, data.SynthAceCoder, data.SynthProject); err != nil {
				return err
			}
			sio, done, err := files.open("synth", g.Quiet, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer done()
			c, p, err := llm.client(sio.Failures)
			if err != nil {
				return err
			}
			sum, err := data.Synth(cmd.Context(), data.SynthConfig{StageIO: sio, Client: c, Prompts: p, Temperature: temp, MaxTokens: llm.maxTokens, Source: source, Variant: variant})
			return report(cmd.OutOrStdout(), sum, err)
		},
	}
	files.add(cmd)
	llm.add(cmd, 8192)
	cmd.Flags().Float64Var(&temp, "temperature", 0.7, "sampling temperature (AceCoder: 0.7)")
	cmd.Flags().StringVar(&source, "source", "", "source name for seeds without one")
	cmd.Flags().StringVar(&variant, "synth-prompt", data.SynthAceCoder, "synthesis prompt: acecoder (the paper's Table 7, word for word) | project (reworded: tests must not print, JSON reply)")
	return cmd
}

func newFilterCmd(g *cli.Globals) *cobra.Command {
	var files ioFlags
	var llm llmFlags
	var ex dataExecFlags
	var oracle string
	var minTests int
	var newTurn bool
	cmd := &cobra.Command{
		Use:   "filter",
		Short: "keep the tests an oracle program passes; drop questions with fewer than --min-tests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOfFlag("oracle", oracle, data.OracleEndpoint, data.OracleProgram); err != nil {
				return err
			}
			sio, done, err := files.open("filter", g.Quiet, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer done()
			cfg := data.FilterConfig{StageIO: sio, Oracle: oracle, MinTests: minTests, MaxTokens: llm.maxTokens, NewTurn: newTurn}
			if oracle == data.OracleEndpoint {
				if cfg.Client, cfg.Prompts, err = llm.client(sio.Failures); err != nil {
					return err
				}
			}
			exec, closeExec, err := ex.executor(cmd.Context())
			if err != nil {
				return err
			}
			defer closeExec()
			cfg.Executor = exec
			sum, err := data.Filter(cmd.Context(), cfg)
			return report(cmd.OutOrStdout(), sum, err)
		},
	}
	files.add(cmd)
	llm.add(cmd, 1024)
	ex.add(cmd.Flags())
	cmd.Flags().StringVar(&oracle, "oracle", data.OracleEndpoint, "oracle program: endpoint (one greedy program from --endpoint, AceCoder's Qwen2.5-Coder-32B-Instruct) | program (the row's seed program)")
	cmd.Flags().IntVar(&minTests, "min-tests", 5, "drop questions with fewer kept tests")
	addNewTurnFlag(cmd.Flags(), &newTurn)
	return cmd
}

func newSampleCmd(g *cli.Globals) *cobra.Command {
	var files ioFlags
	var llm llmFlags
	var ex dataExecFlags
	cfg := data.SampleConfig{}
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "sample N programs per question, execute them, write AceCode-87K rows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOfFlag("denominator", cfg.Denominator, data.DenominatorOriginal, data.DenominatorFiltered); err != nil {
				return err
			}
			sio, done, err := files.open("sample", g.Quiet, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer done()
			cfg.StageIO, cfg.MaxTokens = sio, llm.maxTokens
			if cfg.Client, cfg.Prompts, err = llm.client(sio.Failures); err != nil {
				return err
			}
			exec, closeExec, err := ex.executor(cmd.Context())
			if err != nil {
				return err
			}
			defer closeExec()
			cfg.Executor = exec
			sum, err := data.Sample(cmd.Context(), cfg)
			return report(cmd.OutOrStdout(), sum, err)
		},
	}
	files.add(cmd)
	llm.add(cmd, 1024)
	ex.add(cmd.Flags())
	fs := cmd.Flags()
	fs.IntVar(&cfg.N, "n", 16, "programs per question")
	fs.Float64Var(&cfg.Temperature, "temperature", 0.7, "sampling temperature")
	fs.Float64Var(&cfg.TopP, "top-p", 1.0, "nucleus sampling top_p")
	fs.IntVar(&cfg.ShownTests, "shown-tests", 2, "tests shown in the prompt")
	fs.StringVar(&cfg.ModelName, "model-name", "", "model_name stored in inferences (default --endpoint-model)")
	fs.StringVar(&cfg.Denominator, "denominator", data.DenominatorOriginal, "pass-rate denominator: original (tests synthesized, as AceCoder) | filtered (tests run)")
	addNewTurnFlag(fs, &cfg.NewTurn)
	return cmd
}

func newPairsCmd() *cobra.Command {
	cfg := data.PairsConfig{Rule: data.DefaultPairRule(), DropNonASCII: true, FactoryFormat: data.FactoryAceCoder}
	cmd := &cobra.Command{
		Use:   "pairs",
		Short: "preference pairs per question and model (max ≥ 0.8, gap ≥ 0.4, min > 0)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Input == "" || cfg.Output == "" {
				return cli.Usagef("data pairs: --in and --out are required")
			}
			if err := oneOfFlag("factory-format", cfg.FactoryFormat, data.FactoryAceCoder, data.FactoryCompletions); err != nil {
				return err
			}
			if err := cli.NeedInputs([2]string{"in", cfg.Input}); err != nil {
				return err
			}
			cfg.Log = cmd.ErrOrStderr()
			sum, err := data.Pairs(cmd.Context(), cfg)
			return report(cmd.OutOrStdout(), sum, err)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Input, "in", "", "AceCode rows: JSONL or Parquet")
	fs.StringVar(&cfg.Output, "out", "", "pair JSONL (this project's shape)")
	fs.StringVar(&cfg.FactoryOutput, "factory-out", "", "also write AceCodePair / LLaMA-Factory JSONL here")
	fs.StringVar(&cfg.ParquetOutput, "parquet-out", "", "also write AceCodePair-300K Parquet here")
	fs.Float64Var(&cfg.Rule.MinChosen, "min-chosen", cfg.Rule.MinChosen, "chosen pass rate at least")
	fs.Float64Var(&cfg.Rule.MinGap, "min-gap", cfg.Rule.MinGap, "chosen − rejected at least")
	fs.Float64Var(&cfg.Rule.MinRejected, "min-rejected", cfg.Rule.MinRejected, "rejected pass rate strictly above")
	fs.BoolVar(&cfg.DropNonASCII, "drop-non-ascii", cfg.DropNonASCII, "skip questions with non-ASCII characters, as AceCoder does")
	fs.StringVar(&cfg.FactoryFormat, "factory-format", cfg.FactoryFormat, "factory and Parquet rows: acecoder (AceCodePair-300K's instruction and preamble + program) | completions (the sampling prompt and the stored completions)")
	return cmd
}

func newHardCmd() *cobra.Command {
	cfg := data.HardConfig{}
	cmd := &cobra.Command{
		Use:   "hard",
		Short: "RL subset: mean pass rate ≤ median, then pass-rate std ≥ median of the rest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Input == "" || cfg.Output == "" {
				return cli.Usagef("data hard: --in and --out are required")
			}
			if err := cli.NeedInputs([2]string{"in", cfg.Input}); err != nil {
				return err
			}
			cfg.Log = cmd.ErrOrStderr()
			sum, err := data.Hard(cmd.Context(), cfg)
			return report(cmd.OutOrStdout(), sum, err)
		},
	}
	cmd.Flags().StringVar(&cfg.Input, "in", "", "AceCode rows: JSONL or Parquet")
	cmd.Flags().StringVar(&cfg.Output, "out", "", "output JSONL")
	cmd.Flags().StringVar(&cfg.ParquetOutput, "parquet-out", "", "also write AceCode-87K Parquet here")
	cmd.Flags().StringSliceVar(&cfg.Models, "models", nil, "pass rates of these models' inferences only (AceCoder: qwen_coder_2.5,llama3_instruct); default all")
	cmd.Flags().BoolVar(&cfg.R1System, "r1-system-prompt", false, "put the R1-style system prompt (<think>/<answer> tags) before each kept row's conversation")
	return cmd
}

// oneOfFlag is a usage error naming flag when v is not among allowed.
func oneOfFlag(flag, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return cli.Usagef("--%s: want one of %s, got %q", flag, strings.Join(allowed, ", "), v)
}

// addNewTurnFlag registers --new-turn: send the sampling preamble as a
// closed assistant turn, for endpoints without continue_final_message.
func addNewTurnFlag(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "new-turn", false, "send the preamble as a closed assistant turn instead of asking the endpoint to continue it (continue_final_message), for endpoints that lack the extension")
}

func newStatsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "stats FILE...",
		Short: "Table-1-style summary (examples, average tests, programs, pairs) of stage outputs or public files",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, path := range args {
				if err := cli.NeedInputs([2]string{"FILE", path}); err != nil {
					return err
				}
			}
			for _, path := range args {
				t, err := data.Stats(cmd.Context(), path)
				if err != nil {
					return err
				}
				fmt.Fprint(cmd.OutOrStdout(), t)
			}
			return nil
		},
	}
}

// report prints a stage summary (also after an error, when one exists).
func report(w io.Writer, sum *data.Summary, err error) error {
	if sum != nil {
		fmt.Fprint(w, sum)
	}
	return err
}
