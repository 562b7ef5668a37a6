package rewards

import (
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The Python side of the runner, in parts (see worker_common.py).
var (
	//go:embed worker_common.py
	pyCommon string
	//go:embed worker_analyze.py
	pyAnalyze string
	//go:embed worker_sandbox.py
	pySandbox string
	//go:embed worker_child.py
	pyChild string
	//go:embed worker_harness.py
	pyHarness string
	//go:embed worker_zygote.py
	pyZygote string
	//go:embed worker_serve.py
	pyServe string

	// workerScript is the whole script, run with `python -I -S -c`.
	workerScript = strings.Join([]string{pyCommon, pyAnalyze, pySandbox, pyChild, pyHarness, pyZygote, pyServe}, "\n\n")
)

// maxFrame bounds a frame from a worker (results of one program).
const maxFrame = 256 << 20

// proc is one Python process speaking length-prefixed JSON frames on
// fds 3 (requests) and 4 (replies). Its own stdout/stderr are kept, capped,
// for error messages only.
type proc struct {
	cmd    *exec.Cmd
	req    *os.File
	resp   *os.File
	diag   *cappedBuffer
	cgroup *cgroupSet // the worker's group, nil without cgroups
	exited chan struct{}
}

// startProc starts `python -I -S -c <script> <mode>` in its own process
// group (and namespaces when iso says so) with an empty environment.
func startProc(ctx context.Context, python, mode string, env []string, attr *syscall.SysProcAttr) (*proc, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("rewards: pipe: %w", err)
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("rewards: pipe: %w", err)
	}
	cmd := exec.CommandContext(ctx, python, "-I", "-S", "-c", workerScript, mode)
	cmd.Env = append([]string{}, env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = attr
	cmd.ExtraFiles = []*os.File{reqR, respW}
	p := &proc{cmd: cmd, req: reqW, resp: respR, diag: &cappedBuffer{max: 8 << 10}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.diag, p.diag
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Start()
	reqR.Close()
	respW.Close()
	if err != nil {
		reqW.Close()
		respR.Close()
		return nil, fmt.Errorf("rewards: start %s: %w", python, err)
	}
	go func() {
		cmd.Wait() // the one reaper of this process
		close(p.exited)
	}()
	return p, nil
}

// call sends one JSON request frame and reads one reply frame before
// deadline.
func (p *proc) call(req, reply any, deadline time.Time) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("rewards: encode request: %w", err)
	}
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(data)), uint32(len(data)))
	return p.callRaw(append(frame, data...), reply, deadline)
}

// callRaw sends a whole frame (length prefix included) and reads one JSON
// reply frame before deadline.
func (p *proc) callRaw(frame []byte, reply any, deadline time.Time) error {
	if err := p.req.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if _, err := p.req.Write(frame); err != nil {
		return p.failure("write", err)
	}
	if err := p.resp.SetReadDeadline(deadline); err != nil {
		return err
	}
	var head [4]byte
	if _, err := io.ReadFull(p.resp, head[:]); err != nil {
		return p.failure("read", err)
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > maxFrame {
		return fmt.Errorf("rewards: worker frame of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(p.resp, body); err != nil {
		return p.failure("read", err)
	}
	if err := json.Unmarshal(body, reply); err != nil {
		return fmt.Errorf("rewards: decode worker reply: %w", err)
	}
	return nil
}

// errWorkerTimeout marks a worker that did not answer in time.
var errWorkerTimeout = errors.New("rewards: worker did not answer in time")

func (p *proc) failure(op string, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errWorkerTimeout
	}
	select {
	case <-p.exited:
	case <-time.After(500 * time.Millisecond):
	}
	return fmt.Errorf("rewards: worker %s: %w (%s)", op, err, p.diag.String())
}

// kill ends the process group (with a PID namespace, every process in it,
// and on cgroup v2 every process in its cgroup), waits for it and removes
// its cgroup.
func (p *proc) kill() {
	p.cgroup.kill()
	if p.cmd.Process != nil {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		p.cmd.Process.Kill()
	}
	<-p.exited
	p.req.Close()
	p.resp.Close()
	p.cgroup.remove()
}

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (c *cappedBuffer) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (c *cappedBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}
