package checkpoints

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNoCheckpoint is wrapped when a root holds no valid checkpoint. A trainer
// run with "--resume latest" on a fresh run directory can test for it with
// errors.Is and start from scratch.
var ErrNoCheckpoint = errors.New("no valid checkpoint")

// ResumeLatest is the --resume value that picks the newest valid checkpoint.
const ResumeLatest = "latest"

// Steps lists the steps of the step-%08d directories under root, newest
// first, without verifying them. A missing root has no steps.
func Steps(root string) ([]int64, error) {
	dirs, err := listStepDirs(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	steps := make([]int64, len(dirs))
	for i, d := range dirs {
		steps[i] = d.step
	}
	return steps, nil
}

// Latest returns the newest checkpoint under root that verifies. Newer
// directories that fail verification are skipped and returned in skipped
// (each error names the directory and file), so the caller can report them.
// With no valid checkpoint the error wraps ErrNoCheckpoint.
func Latest(root string) (c *Checkpoint, skipped []error, err error) {
	dirs, err := listStepDirs(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("checkpoints: %s does not exist: %w", root, ErrNoCheckpoint)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoints: %w", err)
	}
	for _, d := range dirs {
		c, err := Load(d.path)
		if err == nil {
			return c, skipped, nil
		}
		skipped = append(skipped, err)
	}
	if len(skipped) > 0 {
		return nil, skipped, fmt.Errorf("checkpoints: %s: none of %d step directories verifies: %w",
			root, len(skipped), ErrNoCheckpoint)
	}
	return nil, nil, fmt.Errorf("checkpoints: %s holds no step directories: %w", root, ErrNoCheckpoint)
}

// Resolve implements the --resume flag:
//
//   - "" : no resume; returns nil, nil.
//   - "latest": the newest valid checkpoint under root (Latest).
//   - a checkpoint directory (holding manifest.json): that checkpoint, which
//     must verify; an invalid one is refused, never replaced by another.
//   - a directory of step-%08d/ checkpoints: the newest valid one in it.
//
// skipped lists invalid checkpoints passed over while looking for the newest.
func Resolve(resume, root string) (c *Checkpoint, skipped []error, err error) {
	switch resume {
	case "":
		return nil, nil, nil
	case ResumeLatest:
		return Latest(root)
	}
	st, err := os.Stat(resume)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoints: --resume %s: %w", resume, err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("checkpoints: --resume %s: not a directory", resume)
	}
	if isCheckpointRoot(resume) {
		return Latest(resume)
	}
	c, err = Load(resume)
	return c, nil, err
}

// isCheckpointRoot reports whether dir looks like a root of checkpoints
// rather than one checkpoint: it has step directories and no manifest.
func isCheckpointRoot(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, ManifestName)); err == nil {
		return false
	}
	dirs, err := listStepDirs(dir)
	return err == nil && len(dirs) > 0
}
