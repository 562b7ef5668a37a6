package rewards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// RunnerOptions configures a Runner. Zero values take the defaults noted.
type RunnerOptions struct {
	Workers        int           // worker processes; default runtime.NumCPU()
	Python         string        // interpreter; default /usr/bin/python3, else python3 on PATH, resolved to an absolute path
	Timeout        time.Duration // wall limit per test (and for loading the program); default 4s
	ProgramTimeout time.Duration // wall budget per program; default Timeout × (tests+1)
	MemoryBytes    int64         // address-space limit per sandboxed process; default 1 GiB
	MaxProcs       int           // processes per sandbox (RLIMIT_NPROC and pids cgroup); default 32
	MaxFileBytes   int64         // largest file a program may write (RLIMIT_FSIZE); default 16 MiB
	MaxOpenFiles   int           // RLIMIT_NOFILE; default 64
	TmpBytes       int64         // size of the per-program tmpfs working directory; default 32 MiB
	OutputBytes    int           // captured stdout+stderr per program; default 16 KiB
	BaseUID        int           // worker i runs programs as uid/gid BaseUID+i; default 61000
	Preload        []string      // modules each zygote imports before its first fork; default DefaultPreload
	Logger         *slog.Logger  // warnings about protections not in force; default slog.Default()
	// NoIsolation runs programs without namespaces, uid switch, seccomp or
	// cgroups (rlimits only). For comparison benchmarks; never for RL.
	NoIsolation bool
	// RequireIsolation makes NewRunner fail instead of degrading when a
	// protection is unavailable (e.g. not running as root).
	RequireIsolation bool
}

func (o *RunnerOptions) setDefaults() error {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Python == "" {
		o.Python = "/usr/bin/python3"
		if _, err := os.Stat(o.Python); err != nil {
			o.Python = "python3"
		}
	}
	p, err := exec.LookPath(o.Python)
	if err != nil {
		return fmt.Errorf("rewards: python interpreter: %w", err)
	}
	if o.Python, err = filepath.Abs(p); err != nil {
		return fmt.Errorf("rewards: python interpreter: %w", err)
	}
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MemoryBytes, 1<<30)
	def(&o.MaxFileBytes, 16<<20)
	def(&o.TmpBytes, 32<<20)
	if o.Timeout <= 0 {
		o.Timeout = 4 * time.Second
	}
	if o.MaxProcs <= 0 {
		o.MaxProcs = 32
	}
	if o.MaxOpenFiles <= 0 {
		o.MaxOpenFiles = 64
	}
	if o.OutputBytes <= 0 {
		o.OutputBytes = 16 << 10
	}
	if o.BaseUID <= 0 {
		o.BaseUID = 61000
	}
	if o.Preload == nil {
		o.Preload = DefaultPreload
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// Runner executes jobs on a pool of sandboxed, warm Python workers. It is
// safe for concurrent use.
type Runner struct {
	opts     RunnerOptions
	iso      isolation
	analyzer *analyzer
	queue    chan task
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	cancel   context.CancelFunc
	ctx      context.Context // the runner's lifetime
	slots    []*slot
}

type task struct {
	ctx   context.Context
	job   preparedJob
	reply chan taskResult
}

type taskResult struct {
	res Result
	err error
}

var runnerSeq struct {
	sync.Mutex
	n int
}

// NewRunner starts the worker pool. The processes live until Close or
// until ctx is cancelled.
func NewRunner(ctx context.Context, opts RunnerOptions) (*Runner, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	iso, err := probeIsolation(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Runner{
		opts: opts, iso: iso, cancel: cancel, ctx: ctx,
		analyzer: newAnalyzer(ctx, opts.Python),
		queue:    make(chan task),
		done:     make(chan struct{}),
	}
	slots := make([]*slot, opts.Workers)
	for i := range slots {
		slots[i] = &slot{r: r, index: i}
		if err := slots[i].restart(ctx); err != nil {
			for _, s := range slots[:i+1] {
				s.stop()
			}
			r.analyzer.close()
			cancel()
			iso.cgroups.remove()
			return nil, err
		}
	}
	r.slots = slots
	for _, s := range slots {
		r.wg.Add(1)
		go s.loop(ctx)
	}
	opts.Logger.Debug("rewards: runner started", "workers", opts.Workers, "python", opts.Python,
		"protections", strings.Join(iso.protections(), ","), "seccomp", nativeSeccomp, "cgroups", iso.cgroupHost.String())
	return r, nil
}

// probeIsolation decides which protections can be put in force here.
func probeIsolation(opts RunnerOptions) (isolation, error) {
	var iso isolation
	if opts.NoIsolation {
		opts.Logger.Warn("rewards: isolation disabled by option; programs run with rlimits only")
		return iso, nil
	}
	var missing []string
	var err error
	if iso.seccomp, err = seccompFilter(); err != nil {
		missing = append(missing, "seccomp: "+err.Error())
	}
	if os.Geteuid() == 0 {
		iso.namespaces = true
		runnerSeq.Lock()
		runnerSeq.n++
		tag := fmt.Sprintf("acecoder-%d-%d", os.Getpid(), runnerSeq.n)
		runnerSeq.Unlock()
		iso.cgroupHost = ProbeCgroups("/sys/fs/cgroup")
		if iso.cgroups, err = iso.cgroupHost.runnerGroup(tag); err != nil {
			missing = append(missing, "cgroups: "+err.Error())
		}
	} else {
		missing = append(missing, "namespaces, read-only root, uid switch, kill-all and cgroups need root")
	}
	if len(missing) > 0 {
		if opts.RequireIsolation {
			iso.cgroups.remove()
			return iso, fmt.Errorf("rewards: isolation unavailable: %s", strings.Join(missing, "; "))
		}
		for _, m := range missing {
			opts.Logger.Warn("rewards: sandbox protection not in force", "missing", m)
		}
	}
	return iso, nil
}

// Protections lists the protections in force (Prot* names).
func (r *Runner) Protections() []string { return r.iso.protections() }

// Options returns the options with defaults filled in.
func (r *Runner) Options() RunnerOptions { return r.opts }

// Do runs one job and waits for its result.
func (r *Runner) Do(ctx context.Context, job Job) (Result, error) {
	pj, err := r.prepare(job)
	if err != nil {
		return Result{ID: job.ID}, err
	}
	t := task{ctx: ctx, job: pj, reply: make(chan taskResult, 1)}
	select {
	case r.queue <- t:
	case <-ctx.Done():
		return Result{ID: job.ID}, ctx.Err()
	case <-r.done:
		return Result{ID: job.ID}, errors.New("rewards: runner closed")
	case <-r.ctx.Done():
		return Result{ID: job.ID}, fmt.Errorf("rewards: runner stopped: %w", r.ctx.Err())
	}
	select {
	case tr := <-t.reply:
		return tr.res, tr.err
	case <-ctx.Done():
		return Result{ID: job.ID}, ctx.Err()
	}
}

// Run runs jobs concurrently on the pool and returns results in input order.
func (r *Runner) Run(ctx context.Context, jobs []Job) ([]Result, error) {
	out := make([]Result, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * r.opts.Workers)
	for i := range jobs {
		g.Go(func() error {
			res, err := r.Do(gctx, jobs[i])
			if err != nil {
				return fmt.Errorf("rewards: job %d (%s): %w", i, jobs[i].ID, err)
			}
			out[i] = res
			return nil
		})
	}
	return out, g.Wait()
}

// Feed returns a channel that yields jobs in order, for Stream; it is
// closed after the last job, or as soon as ctx is done.
func Feed(ctx context.Context, jobs []Job) <-chan Job {
	in := make(chan Job)
	go func() {
		defer close(in)
		for _, j := range jobs {
			select {
			case in <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	return in
}

// StreamResult is one result of Stream, with Index the job's position in
// the input stream.
type StreamResult struct {
	Index int
	Result
	Err error
}

// Stream runs jobs as they arrive on in and sends each result as soon as it
// is ready (completion order, not input order). The output channel is
// closed once in is closed (or ctx is done) and every accepted job has
// finished.
func (r *Runner) Stream(ctx context.Context, in <-chan Job) <-chan StreamResult {
	out := make(chan StreamResult, r.opts.Workers)
	go func() {
		defer close(out)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 2*r.opts.Workers)
		for i := 0; ; i++ {
			var job Job
			var ok bool
			select {
			case job, ok = <-in:
			case <-ctx.Done():
			}
			if !ok {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				res, err := r.Do(ctx, job)
				out <- StreamResult{Index: i, Result: res, Err: err}
			}()
		}
		wg.Wait()
	}()
	return out
}

// Close stops the workers, kills every sandboxed process and removes the
// runner's cgroups.
func (r *Runner) Close() error {
	r.once.Do(func() {
		close(r.done)
		r.wg.Wait()
		r.analyzer.close()
		r.cancel()
		r.iso.cgroups.remove()
	})
	return nil
}
