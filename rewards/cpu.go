package rewards

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUUsage is the CPU time used so far by the runner's processes.
type CPUUsage struct {
	Workers  time.Duration // worker processes, their zygotes and the reaped sandbox children
	Analyzer time.Duration
	Self     time.Duration // this (Go) process, all goroutines
}

// CPUUsage reads the CPU time of the live worker and analyzer processes
// (from /proc) and of this process. Workers that were restarted lose
// their earlier time. Not safe to call concurrently with Close.
func (r *Runner) CPUUsage() CPUUsage {
	var u CPUUsage
	for _, s := range r.slots {
		if p := s.p; p != nil && p.cmd.Process != nil {
			pid := strconv.Itoa(p.cmd.Process.Pid)
			u.Workers += procCPU(p.cmd.Process.Pid)
			// The zygote (and, through its cutime, the children it reaped).
			kids, _ := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
			for _, k := range strings.Fields(string(kids)) {
				if kid, err := strconv.Atoi(k); err == nil {
					u.Workers += procCPU(kid)
				}
			}
		}
	}
	r.analyzer.mu.Lock()
	if r.analyzer.p != nil {
		u.Analyzer = procCPU(r.analyzer.p.cmd.Process.Pid)
	}
	r.analyzer.mu.Unlock()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.Self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return u
}

// procCPU is utime+stime+cutime+cstime of a process, from /proc/pid/stat.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// fields after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} {
		v, _ := strconv.ParseInt(f[k], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}
