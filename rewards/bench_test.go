package rewards

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkExec runs the 500 × 15 workload on 2 workers with full
// isolation (and, for comparison, with isolation off).
func BenchmarkExec(b *testing.B) {
	for _, iso := range []bool{true, false} {
		name := map[bool]string{true: "isolated", false: "no-isolation"}[iso]
		b.Run(name, func(b *testing.B) {
			r := newTestRunner(b, RunnerOptions{Workers: 2, Timeout: 4 * time.Second, NoIsolation: !iso})
			jobs := BenchWorkload(500, 15, 1)
			ctx := context.Background()
			if _, err := r.Run(ctx, jobs[:20]); err != nil { // warm the analyzer and workers
				b.Fatal(err)
			}
			var passed, total int
			cpu0 := r.CPUUsage()
			start := time.Now()
			for b.Loop() {
				res, err := r.Run(ctx, jobs)
				if err != nil {
					b.Fatal(err)
				}
				for _, x := range res {
					passed += x.Passed
					total += x.Total
				}
			}
			secs := time.Since(start).Seconds()
			cpu1 := r.CPUUsage()
			progs := float64(b.N * len(jobs))
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / progs }
			b.ReportMetric(ms(cpu1.Workers-cpu0.Workers), "worker-cpu-ms/program")
			b.ReportMetric(ms(cpu1.Analyzer-cpu0.Analyzer), "analyzer-cpu-ms/program")
			b.ReportMetric(ms(cpu1.Self-cpu0.Self), "go-cpu-ms/program")
			b.ReportMetric(float64(b.N*len(jobs))/secs, "programs/s")
			b.ReportMetric(float64(b.N*len(jobs)*15)/secs, "tests/s")
			b.ReportMetric(float64(passed)/float64(total), "pass-rate")
			b.Logf("protections: %s", strings.Join(r.Protections(), ","))
		})
	}
}

// bareForkServer is the reference point: a warm Python process that forks
// one child per program and runs the asserts in it, with no isolation, no
// timeouts, no outside comparison and no crash recovery.
const bareForkServer = `
import sys, os, json
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    job = json.loads(line)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        g, res = {}, []
        try:
            exec(job["program"], g)
            for t in job["tests"]:
                try:
                    exec(t, g)
                    res.append(1)
                except BaseException:
                    res.append(0)
        except BaseException:
            pass
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    out.write(data + b"\n")
    out.flush()
`

// BenchmarkBareForkServer runs the same workload on two bare fork servers,
// to compare with BenchmarkExec under the same machine load.
func BenchmarkBareForkServer(b *testing.B) {
	jobs := BenchWorkload(500, 15, 1)
	lines := make([][]byte, len(jobs))
	for i, j := range jobs {
		lines[i], _ = json.Marshal(map[string]any{"program": j.Program, "tests": j.Tests})
		lines[i] = append(lines[i], '\n')
	}
	type server struct {
		in  io.WriteCloser
		out *bufio.Reader
		pid int
	}
	var servers []server
	for range 2 {
		cmd := exec.Command("/usr/bin/python3", "-I", "-S", "-c", bareForkServer)
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Skipf("python: %v", err)
		}
		b.Cleanup(func() { in.Close(); cmd.Wait() })
		servers = append(servers, server{in, bufio.NewReader(out), cmd.Process.Pid})
	}
	cpu := func() (d time.Duration) {
		for _, s := range servers {
			d += procCPU(s.pid)
		}
		return d
	}
	cpu0 := cpu()
	start := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		next := make(chan []byte)
		for _, s := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for line := range next {
					s.in.Write(line)
					if _, err := s.out.ReadBytes('\n'); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		for _, l := range lines {
			next <- l
		}
		close(next)
		wg.Wait()
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N*len(jobs))/secs, "programs/s")
	b.ReportMetric(float64(b.N*len(jobs)*15)/secs, "tests/s")
	b.ReportMetric(float64(cpu()-cpu0)/float64(time.Millisecond)/float64(b.N*len(jobs)), "worker-cpu-ms/program")
}
