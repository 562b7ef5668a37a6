package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/serve"
)

func init() { register(newServeCmd) }

// serveOptions are the flags of acecoder serve.
type serveOptions struct {
	model       configs.Model
	name        string
	addr        string
	backend     string
	allowRemote bool
	concurrency int
	maxBody     int64
	maxTokens   int
	batch       int
	seed        int64
}

func newServeCmd(*cli.Globals) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "OpenAI-compatible completion server for a local model",
		Long: `Serves POST /v1/chat/completions and /v1/completions (whole or streamed as
Server-Sent Events; n, temperature, top_p, top_k, max_tokens, stop, seed,
logprobs / top_logprobs, continue_final_message) and GET /v1/models for a
local model, on loopback unless --allow-remote. Fields it does not implement
are refused with 400, a model name other than --served-model-name with 404.
Requests beyond --concurrency in flight get 429; bodies over --max-body get
413. One log line per request goes to stderr. SIGINT/SIGTERM finish the
requests in flight, then exit. See the package documentation of serve for
the details.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.model.Path == "" && o.model.InitConfig == "" {
				return cli.Usagef("serve: --model-path DIR is required")
			}
			err := cli.NeedInputs([2]string{"model-path", o.model.Path}, [2]string{"model-init-config", o.model.InitConfig},
				[2]string{"model-tokenizer", o.model.Tokenizer})
			if err != nil {
				return err
			}
			ln, err := listen(o.addr, o.allowRemote)
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), o, ln, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model.Path, "model-path", "", "Hugging Face model directory (config.json, safetensors, tokenizer files)")
	f.StringVar(&o.model.InitConfig, "model-init-config", "", "config.json of a random model (tests, demos) instead of --model-path")
	f.StringVar(&o.model.Tokenizer, "model-tokenizer", "", "tokenizer.json or its directory (default: the model directory)")
	f.StringVar(&o.model.ChatTemplate, "model-chat-template", "", "chat template: '' from the model directory, 'plain' (ChatML) or a .jinja file")
	f.StringVar(&o.name, "served-model-name", "", "the model id clients name (default: the model directory's name)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8000", "listen address")
	f.StringVar(&o.backend, "backend", backend.Default, "compute backend: go | xla:/abs/pjrt_plugin.so | onnx:/abs/lib.so")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow a non-loopback listen address")
	f.IntVar(&o.concurrency, "concurrency", 8, "requests in flight (queued for the model) before answering 429")
	f.Int64Var(&o.maxBody, "max-body", 1<<20, "largest request body in bytes")
	f.IntVar(&o.maxTokens, "generate-max-len", 1024, "default max_tokens, and the most a request gets (larger requests are clamped)")
	f.IntVar(&o.batch, "batch-size", 16, "sequences decoded together")
	f.Int64Var(&o.seed, "seed", 42, "seed of requests that give none (each such request gets the next one)")
	cli.Alias(cmd, "model", "model-path")
	cli.Alias(cmd, "init-config", "model-init-config")
	cli.Alias(cmd, "tokenizer", "model-tokenizer")
	cli.Alias(cmd, "chat-template", "model-chat-template")
	cli.Alias(cmd, "max-tokens", "generate-max-len")
	return cmd
}

// listen opens addr, refusing non-loopback hosts unless allowed.
func listen(addr string, allowRemote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, cli.Usagef("serve: --addr %q: %v", addr, err)
	}
	if !allowRemote && !isLoopback(host) {
		return nil, cli.Usagef("--addr %q is not a loopback address (pass --allow-remote to expose it)", addr)
	}
	return net.Listen("tcp", addr)
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// runServe loads the model and answers on ln until ctx ends.
func runServe(ctx context.Context, o serveOptions, ln net.Listener, logw io.Writer) error {
	gen, err := loadGenerator(ctx, o.backend, o.model, o.seed)
	if err != nil {
		ln.Close()
		return err
	}
	name := o.name
	if name == "" {
		name = gen.name
	}
	s, err := serve.New(serve.Options{Engine: gen.engine, Text: gen.text, ModelName: name, ValidVocab: gen.validVocab(),
		MaxTokens: o.maxTokens, BatchSize: o.batch, Concurrency: o.concurrency, MaxBody: o.maxBody, Seed: o.seed, Log: logw})
	if err != nil {
		ln.Close()
		return cli.UsageError{Err: err}
	}
	fmt.Fprintf(logw, "acecoder serve: %s on http://%s/v1\n", name, ln.Addr())
	return s.Serve(ctx, ln)
}
