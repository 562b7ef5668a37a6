package board

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Files of a run directory the board reads (as rundir writes them).
const (
	metricsFile = "metrics.jsonl"
	configFile  = "config.yaml"
	infoFile    = "run.json"
	summaryFile = "summary.json" // a sweep directory's
)

// liveWindow is how recently a run's metrics must have been written for it
// to count as running.
const liveWindow = time.Minute

// maxRuns bounds a listing (a runs folder of years of experiments).
const maxRuns = 2000

// Run is one run directory under the root.
type Run struct {
	ID       string    `json:"id"`    // slash path relative to the root
	Name     string    `json:"name"`  // its folder's name
	Group    string    `json:"group"` // the parent folder relative to the root ("" at the top)
	Sweep    bool      `json:"sweep"` // the parent folder is a sweep (it holds summary.json)
	Config   bool      `json:"config"`
	Modified time.Time `json:"modified"`
	Live     bool      `json:"live"`
}

// skipDirs are folders a run directory holds that are never runs.
var skipDirs = []string{"checkpoints", "model", "node_modules"}

// listRuns finds the run directories (folders holding metrics.jsonl) under
// fsys, at most depth folders down, not looking inside a run.
func listRuns(fsys fs.FS, depth int, now time.Time) ([]Run, error) {
	var runs []Run
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return fs.SkipDir // an unreadable folder is not a run
		}
		if !d.IsDir() {
			return nil
		}
		if p != "." && (strings.HasPrefix(d.Name(), ".") || slices.Contains(skipDirs, d.Name())) {
			return fs.SkipDir
		}
		if p != "." && strings.Count(p, "/")+1 > depth {
			return fs.SkipDir
		}
		info, err := fs.Stat(fsys, path.Join(p, metricsFile))
		if err != nil || info.IsDir() {
			return nil
		}
		runs = append(runs, newRun(fsys, p, info.ModTime(), now))
		if len(runs) >= maxRuns {
			return fs.SkipAll
		}
		return fs.SkipDir
	})
	slices.SortFunc(runs, func(a, b Run) int { return strings.Compare(a.ID, b.ID) })
	return runs, err
}

func newRun(fsys fs.FS, p string, modified, now time.Time) Run {
	r := Run{ID: p, Name: path.Base(p), Modified: modified.UTC(), Live: now.Sub(modified) < liveWindow}
	if p == "." {
		r.Name = "."
	}
	if dir := path.Dir(p); dir != "." {
		r.Group = dir
		_, err := fs.Stat(fsys, path.Join(dir, summaryFile))
		r.Sweep = err == nil
	}
	_, err := fs.Stat(fsys, path.Join(p, configFile))
	r.Config = err == nil
	return r
}
