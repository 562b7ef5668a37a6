// Package rundir creates a run's directory and records what is needed to
// reproduce it: the resolved config, the git commit, the Go version and the
// backend (run.json), and the metrics log (metrics.jsonl) the loops append to.
package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Options says where the run directory goes and what to record in it.
type Options struct {
	Dir     string // exact directory; empty means Parent/Name-<timestamp>
	Parent  string // parent folder, default "runs"
	Name    string // run name
	Command string // the command line, for the record
	Backend string // backend spec
	Config  string // resolved config as YAML
	Now     func() time.Time
}

// Info is the content of run.json.
type Info struct {
	Name      string    `json:"name"`
	Command   string    `json:"command"`
	GitCommit string    `json:"git_commit"`
	GitDirty  bool      `json:"git_dirty"`
	GoVersion string    `json:"go_version"`
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	Backend   string    `json:"backend"`
	Started   time.Time `json:"started"`
	Host      string    `json:"host"`
}

// Run is an open run directory.
type Run struct {
	Dir     string
	Info    Info
	Metrics *Metrics
}

// ConfigFile, InfoFile and MetricsFile are the names of the files in a run
// directory.
const (
	ConfigFile  = "config.yaml"
	InfoFile    = "run.json"
	MetricsFile = "metrics.jsonl"
)

// Create makes (or reopens, for a resumed run) the run directory and writes
// config.yaml and run.json. The metrics log is opened for appending.
func Create(opts Options) (*Run, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	started := now().UTC()
	dir := opts.Dir
	if dir == "" {
		parent := opts.Parent
		if parent == "" {
			parent = "runs"
		}
		dir = filepath.Join(parent, opts.Name+"-"+started.Format("20060102-150405"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	commit, dirty := gitCommit()
	host, _ := os.Hostname()
	info := Info{
		Name: opts.Name, Command: opts.Command, GitCommit: commit, GitDirty: dirty,
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		Backend: opts.Backend, Started: started, Host: host,
	}
	infoJSON, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, InfoFile), append(infoJSON, '\n')); err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(filepath.Join(dir, ConfigFile), []byte(opts.Config)); err != nil {
		return nil, err
	}
	m, err := OpenMetrics(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, err
	}
	return &Run{Dir: dir, Info: info, Metrics: m}, nil
}

// Close flushes and closes the metrics log.
func (r *Run) Close() error { return r.Metrics.Close() }

// WriteFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so readers never see a half-written file.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("rundir: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("rundir: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("rundir: close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// gitCommit returns the commit of the working directory's repository, or
// "unknown" outside one, and whether the tree has uncommitted changes.
func gitCommit() (string, bool) {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown", false
	}
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), err == nil && len(strings.TrimSpace(string(status))) > 0
}
