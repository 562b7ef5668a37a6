package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"acecoder/internal/cli"
	"acecoder/queue"
	"acecoder/rewards"
)

func init() { register(newWorkerCmd) }

// Secrets come from the environment so that they stay out of `ps`.
const (
	envNATSPassword = "ACECODER_NATS_PASSWORD"
	envNATSToken    = "ACECODER_NATS_TOKEN"
)

// addNATSFlags registers the NATS connection flags shared by the commands
// that talk to a queue (worker, exec, train-policy).
func addNATSFlags(fs *pflag.FlagSet, o *queue.ConnOptions) {
	fs.StringVar(&o.URL, "nats", "", "NATS server URL, e.g. nats://host:4222 (comma-separated for a cluster)")
	fs.StringVar(&o.CredsFile, "nats-creds", "", "NATS credentials file (JWT + NKey)")
	fs.StringVar(&o.NKeySeedFile, "nats-nkey", "", "NATS NKey seed file")
	fs.StringVar(&o.User, "nats-user", "", "NATS user (password from $"+envNATSPassword+")")
	fs.StringVar(&o.TLSCAFile, "nats-tls-ca", "", "CA bundle to verify the NATS server")
	fs.StringVar(&o.TLSCertFile, "nats-tls-cert", "", "client certificate for mutual TLS")
	fs.StringVar(&o.TLSKeyFile, "nats-tls-key", "", "client key for mutual TLS")
}

// natsFromEnv fills the secrets of o from the environment.
func natsFromEnv(o *queue.ConnOptions) {
	o.Password = os.Getenv(envNATSPassword)
	o.Token = os.Getenv(envNATSToken)
}

// addKindConfigFlags registers the delivery settings of a job kind.
func addKindConfigFlags(fs *pflag.FlagSet, c *queue.KindConfig) {
	d := queue.DefaultKindConfig()
	fs.DurationVar(&c.AckWait, "ack-wait", d.AckWait, "redeliver a job after this long without an ack or heartbeat")
	fs.IntVar(&c.MaxDeliver, "max-deliver", d.MaxDeliver, "deliveries before a job fails terminally")
	fs.IntVar(&c.Replicas, "replicas", d.Replicas, "stream replicas when this process creates the streams (3 on a 3-node cluster)")
}

type workerArgs struct {
	conn    queue.ConnOptions
	config  queue.KindConfig
	kind    string
	slots   int
	name    string
	python  string
	timeout time.Duration
}

func newWorkerCmd(*cli.Globals) *cobra.Command {
	a := &workerArgs{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "execution worker on a NATS queue",
		Long: "worker pulls test-execution jobs from a NATS JetStream queue, runs them in the sandbox and stores their results.\n" +
			"Run one per machine: acecoder worker --nats nats://host:4222 --kind exec --exec-workers N\n" +
			"Reward models are served over HTTP instead: acecoder serve-reward --reward-pretrain DIR (train-policy reward: remote).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			natsFromEnv(&a.conn)
			return runWorker(cmd.Context(), cmd.ErrOrStderr(), a)
		},
	}
	fs := cmd.Flags()
	addNATSFlags(fs, &a.conn)
	addKindConfigFlags(fs, &a.config)
	fs.StringVar(&a.kind, "kind", queue.KindExec, "job kind: exec (the one kind the queue carries)")
	fs.IntVar(&a.slots, "exec-workers", 0, "programs run at once (sandboxed Python workers); default the number of CPUs")
	fs.StringVar(&a.name, "name", "", "worker name in the trainer's metrics (default host:pid)")
	fs.StringVar(&a.python, "python", "", "Python interpreter (default /usr/bin/python3, then python3 on PATH)")
	fs.DurationVar(&a.timeout, "exec-timeout", 4*time.Second, "wall limit per test")
	cli.Alias(cmd, "slots", "exec-workers")
	cli.Alias(cmd, "timeout", "exec-timeout")
	return cmd
}

func runWorker(ctx context.Context, log io.Writer, a *workerArgs) error {
	if a.conn.URL == "" {
		return cli.Usagef("worker: --nats URL is required")
	}
	if err := queue.ValidateKind(a.kind); err != nil {
		return cli.UsageError{Err: err}
	}
	if a.kind != queue.KindExec {
		return cli.Usagef("worker: --kind %s: the queue carries exec jobs only; serve a reward model with serve-reward --reward-pretrain DIR", a.kind)
	}
	if a.slots < 0 {
		return cli.Usagef("worker: --slots must be positive")
	}
	sandboxGC()
	runner, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: a.slots, Python: a.python, Timeout: a.timeout})
	if err != nil {
		return err
	}
	defer runner.Close()
	if a.conn.Name == "" {
		a.conn.Name = "acecoder-worker-" + a.kind
	}
	nc, err := queue.Connect(a.conn)
	if err != nil {
		return err
	}
	defer nc.Close()
	slots := runner.Options().Workers
	w, err := queue.NewWorker(ctx, nc, queue.WorkerOptions{
		Kind: a.kind, Slots: 2 * slots, Name: a.name, Handler: queue.ExecHandler(runner), Config: a.config,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "worker: kind %s, %d slots, server %s, protections %s\n",
		a.kind, slots, nc.ConnectedUrlRedacted(), strings.Join(runner.Protections(), ","))
	err = w.Run(ctx)
	s := w.Stats()
	fmt.Fprintf(log, "worker: %d results (%d failed), %d retries, %d duplicate executions\n", s.Jobs, s.Failures, s.Retries, s.Duplicates)
	return err
}
