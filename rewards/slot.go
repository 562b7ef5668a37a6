package rewards

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// preparedJob is a job after analysis: what the worker receives, plus the
// expected values and outputs that stay on this side.
type preparedJob struct {
	id      string
	program string
	setup   string
	mode    string // the worker's name for the mode: asserts, he, calls, io, unit
	entry   string // he, calls: the entry point
	param   string // he: check's parameter name
	module  string // he, unit: the test module, run in its own namespace
	tests   []analysedTest
	outputs bool // calls: keep the values (Result.Values)
	timeout time.Duration
	budget  time.Duration
}

// prepare validates the job, resolves its mode's fields and analyses the
// tests.
func (r *Runner) prepare(job Job) (preparedJob, error) {
	pj := preparedJob{id: job.ID, program: job.Program, setup: job.Setup, timeout: job.Timeout, mode: "asserts"}
	if err := job.Validate(); err != nil {
		return pj, err
	}
	if pj.program == "" {
		pj.program = job.Prompt + job.Completion
	}
	var err error
	switch job.mode() {
	case modeAsserts:
		pj.tests, err = r.analyzer.analyse(job.Tests)
	case modeHumanEval:
		err = r.prepareHumanEval(&pj, job)
	case modeCalls:
		prepareCalls(&pj, job)
	case modeIO:
		prepareIO(&pj, job)
	case modeUnitTest:
		err = r.prepareUnitTest(&pj, job)
	}
	if err != nil {
		return pj, err
	}
	if pj.timeout <= 0 {
		pj.timeout = r.opts.Timeout
	}
	pj.budget = r.opts.ProgramTimeout
	if pj.budget <= 0 {
		pj.budget = pj.timeout * time.Duration(len(pj.tests)+1)
	}
	return pj, nil
}

// slot owns one worker process and restarts it when it dies.
type slot struct {
	r        *Runner
	index    int
	p        *proc
	workdir  string // working directory without namespaces (else a tmpfs at /tmp)
	oomKills int64  // the worker cgroup's out-of-memory kills seen so far
}

type workerConfig struct {
	Isolate   bool             `json:"isolate"`
	UID       int              `json:"uid"`
	Binds     []string         `json:"binds"`
	Seccomp   string           `json:"seccomp,omitempty"`
	Rlimits   map[string]int64 `json:"rlimits"`
	TmpBytes  int64            `json:"tmp_bytes"`
	TmpInodes int64            `json:"tmp_inodes"`
	OutputCap int              `json:"output_cap"`
	Workdir   string           `json:"workdir"`
	Preload   []string         `json:"preload"`
	PivotRoot int              `json:"sys_pivot_root"`
}

func (s *slot) config() workerConfig {
	o := s.r.opts
	cfg := workerConfig{
		Isolate: s.r.iso.namespaces, UID: o.BaseUID + s.index, Binds: systemBinds(o.Python),
		Seccomp: hex.EncodeToString(s.r.iso.seccomp),
		Rlimits: map[string]int64{
			"as": o.MemoryBytes, "fsize": o.MaxFileBytes, "nofile": int64(o.MaxOpenFiles), "nproc": 0,
		},
		TmpBytes: o.TmpBytes, TmpInodes: 4096, OutputCap: o.OutputBytes, Workdir: s.workdir,
		Preload: o.Preload, PivotRoot: unix.SYS_PIVOT_ROOT,
	}
	if cfg.Isolate {
		cfg.Rlimits["nproc"] = int64(o.MaxProcs)
	}
	return cfg
}

// systemBinds are the directories the sandbox sees, read-only: the system
// tree needed by the interpreter, plus its own prefix when it lives
// elsewhere.
func systemBinds(python string) []string {
	binds := []string{"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"}
	if real, err := filepath.EvalSymlinks(python); err == nil {
		prefix := filepath.Dir(filepath.Dir(real))
		covered := false
		for _, b := range binds {
			if prefix == b || strings.HasPrefix(prefix, b+"/") {
				covered = true
			}
		}
		if !covered && prefix != "/" {
			binds = append(binds, prefix)
		}
	}
	return binds
}

// restart (re)starts the worker process and waits until it is ready.
func (s *slot) restart(ctx context.Context) error {
	s.stop()
	o := s.r.opts
	workdir := "/tmp"
	if !s.r.iso.namespaces {
		dir, err := os.MkdirTemp("", "acecoder-work-")
		if err != nil {
			return fmt.Errorf("rewards: worker %d: %w", s.index, err)
		}
		s.workdir, workdir = dir, dir
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + workdir, "TMPDIR=" + workdir, "LANG=C.UTF-8"}
	p, err := startProc(ctx, o.Python, "serve", env, s.r.iso.sysProcAttr())
	if err != nil {
		s.stop()
		return err
	}
	name := fmt.Sprintf("w%d", s.index)
	if g := s.r.iso.cgroups; g != nil {
		if p.cgroup, err = g.child(name, 2*o.MemoryBytes+(256<<20), o.MaxProcs+8); err == nil {
			err = p.cgroup.add(p.cmd.Process.Pid)
		}
		if err != nil {
			p.kill()
			return err
		}
		s.oomKills = p.cgroup.oomKills()
	}
	var ready struct {
		Ready bool `json:"ready"`
	}
	if err := p.call(s.config(), &ready, time.Now().Add(20*time.Second)); err != nil || !ready.Ready {
		p.kill()
		return fmt.Errorf("rewards: worker %d did not start: %w", s.index, err)
	}
	s.p = p
	return nil
}

func (s *slot) stop() {
	if s.p != nil {
		s.p.kill()
		s.p = nil
	}
	if s.workdir != "" {
		os.RemoveAll(s.workdir)
		s.workdir = ""
	}
}

func (s *slot) loop(ctx context.Context) {
	defer s.r.wg.Done()
	defer s.stop()
	for {
		select {
		case t := <-s.r.queue:
			res, err := s.do(ctx, t)
			t.reply <- taskResult{res, err}
		case <-s.r.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

type workerReply struct {
	Tests  [][]json.RawMessage `json:"tests"`
	Output string              `json:"output"`
	Infra  string              `json:"infra"`
}

// jobFrame encodes a job for the worker: a length-prefixed frame of three
// sections, the header JSON and the tests JSON (each after its 4-byte
// length) and the child payload (the program's 4-byte length, the program,
// the setup), which the worker forwards without decoding. The tests JSON
// ({"mode", "entry", "param", "module", "tests": [[kind, code], ...]}) is
// what the zygote compiles and caches.
func jobFrame(pj preparedJob) ([]byte, error) {
	hdr := map[string]any{"n": len(pj.tests), "timeout": pj.timeout.Seconds(), "budget": pj.budget.Seconds()}
	raw := make([][2]string, len(pj.tests))
	var soCaps []int
	for i, at := range pj.tests {
		raw[i] = [2]string{string(at.Kind), validUTF8(at.Code)}
		if at.Kind == kindBad {
			raw[i][1] = at.Reason // the worker reports it as the test's error
		}
		if at.Kind == kindIO {
			soCaps = append(soCaps, stdoutCap(at.stdout))
		}
	}
	if soCaps != nil {
		hdr["so_caps"] = soCaps
	}
	head, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	spec := map[string]any{"mode": pj.mode, "tests": raw}
	if pj.entry != "" {
		spec["entry"], spec["param"] = pj.entry, pj.param
	}
	if pj.module != "" {
		spec["module"] = validUTF8(pj.module)
	}
	tests, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	program, setup := validUTF8(pj.program), validUTF8(pj.setup)
	n := 4 + len(head) + 4 + len(tests) + 4 + len(program) + len(setup)
	if n > maxFrame {
		return nil, fmt.Errorf("rewards: job %q of %d bytes", pj.id, n)
	}
	be := binary.BigEndian
	f := be.AppendUint32(make([]byte, 0, 4+n), uint32(n))
	f = append(be.AppendUint32(f, uint32(len(head))), head...)
	f = append(be.AppendUint32(f, uint32(len(tests))), tests...)
	f = append(be.AppendUint32(f, uint32(len(program))), program...)
	return append(f, setup...), nil
}

// validUTF8 replaces each byte that is not part of valid UTF-8 with U+FFFD,
// as encoding/json does (a sampled program may hold any bytes; the child
// reads its program as UTF-8).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// do runs one job on this slot's worker. A worker that dies or hangs is
// killed (with every process of its sandbox) and restarted; the job's
// tests then get crash or timeout verdicts.
func (s *slot) do(ctx context.Context, t task) (Result, error) {
	pj := t.job
	if t.ctx.Err() != nil {
		return Result{ID: pj.id}, t.ctx.Err()
	}
	if s.p == nil {
		if err := s.restart(ctx); err != nil {
			return Result{ID: pj.id}, err
		}
	}
	frame, err := jobFrame(pj)
	if err != nil {
		return Result{ID: pj.id}, err
	}
	grace := pj.timeout + 5*time.Second
	var reply workerReply
	err = s.p.callRaw(frame, &reply, time.Now().Add(pj.budget+grace))
	if err == nil && len(reply.Tests) != len(pj.tests) {
		err = fmt.Errorf("rewards: worker returned %d verdicts for %d tests", len(reply.Tests), len(pj.tests))
	}
	if err != nil {
		status, reason := StatusCrash, "worker died: "+err.Error()
		if errors.Is(err, errWorkerTimeout) {
			status, reason = StatusTimeout, "worker did not answer within the program budget; killed"
		}
		s.stop()
		res := Result{ID: pj.id, Tests: make([]Verdict, len(pj.tests))}
		for i, at := range pj.tests {
			res.Tests[i] = Verdict{Status: status, Reason: reason, Inside: at.inside(), Name: at.name()}
		}
		if pj.outputs {
			res.Values = make([]json.RawMessage, len(pj.tests))
		}
		res.summarise()
		return res, nil
	}
	if reply.Infra != "" {
		return Result{ID: pj.id}, errors.New("rewards: " + reply.Infra)
	}
	res := Result{ID: pj.id, Output: reply.Output, Tests: make([]Verdict, len(pj.tests))}
	if pj.outputs {
		res.Values = make([]json.RawMessage, len(pj.tests))
	}
	crashed := false
	for i, entry := range reply.Tests {
		var value json.RawMessage
		res.Tests[i], value = judge(pj.tests[i], entry)
		if pj.outputs && res.Tests[i].Status == StatusPass {
			res.Values[i] = value
		}
		crashed = crashed || res.Tests[i].Status == StatusCrash
	}
	if crashed {
		s.noteOOM(res.Tests)
	}
	res.summarise()
	return res, nil
}

// noteOOM says which crashes were the kernel's out-of-memory killer: when
// the worker's cgroup counted a new OOM kill during the job, its SIGKILL
// crashes get that reason.
func (s *slot) noteOOM(tests []Verdict) {
	if s.p == nil || s.p.cgroup == nil {
		return
	}
	n := s.p.cgroup.oomKills()
	if n <= s.oomKills {
		return
	}
	s.oomKills = n
	for i, v := range tests {
		if v.Status == StatusCrash && strings.Contains(v.Reason, "SIGKILL") {
			tests[i].Reason = "out of memory: the sandbox's cgroup reached its memory limit; " + v.Reason
		}
	}
}

// judge turns a worker entry [status, payload] into a verdict. Values
// (eq tests, value cases) are compared with what the test expects here,
// outside the sandbox, and so are a stdin/stdout case's outputs; a value
// case's value is returned too, for Job.Outputs.
func judge(at analysedTest, entry []json.RawMessage) (Verdict, json.RawMessage) {
	v := Verdict{Inside: at.inside(), Name: at.name()}
	crash := func(reason string) (Verdict, json.RawMessage) {
		v.Status, v.Reason = StatusCrash, reason
		return v, nil
	}
	if len(entry) != 2 {
		return crash("malformed worker entry")
	}
	var status, reason string
	if err := json.Unmarshal(entry[0], &status); err != nil {
		return crash("malformed worker entry")
	}
	switch status {
	case "value":
		got, err := decodeValue(entry[1])
		switch {
		case err != nil:
			return crash("corrupt value record")
		case at.Kind == kindCall && at.record:
			v.Status = StatusPass
		case at.Kind == kindCall:
			v.Status, v.Reason = judgeValue(got, at.want, at.atol)
		case !at.wantOK:
			return crash("value for a test without a literal")
		case pyEqual(got, at.want):
			v.Status = StatusPass
		default:
			v.Status, v.Reason = StatusFail, fmt.Sprintf("got %s, want %s", got.repr(), at.want.repr())
		}
		return v, entry[1]
	case "out":
		if at.Kind != kindIO {
			return crash("stdout for a test that is not a stdin/stdout case")
		}
		stdout, failure, ok := decodeStdout(entry[1])
		switch {
		case !ok:
			return crash("corrupt stdout record")
		case failure != "":
			v.Status, v.Reason = StatusError, "program: "+failure
		default:
			v.Status, v.Reason = judgeOutput(stdout, at.stdout)
		}
		return v, nil
	}
	json.Unmarshal(entry[1], &reason)
	v.Status, v.Reason = Status(status), reason
	switch v.Status {
	case StatusPass, StatusFail, StatusError, StatusTimeout, StatusCrash, StatusSkipped:
	default:
		v.Status, v.Reason = StatusCrash, "unknown worker status "+status
	}
	if v.Status == StatusPass && !v.Inside {
		v.Status, v.Reason = StatusCrash, "pass without a value for an outside-compared test"
	}
	return v, nil
}
