package trainer

import (
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/compute"

	"acecoder/backend"
	"acecoder/checkpoints"
)

// resolveResume picks the checkpoint a run resumes from (nil for a fresh
// start): resume "" never resumes, "latest" takes the newest valid
// checkpoint under root or starts fresh when there is none, a path must
// hold a valid checkpoint. Skipped invalid checkpoints are reported on log.
func resolveResume(resume, root, command string, log io.Writer) (*checkpoints.Checkpoint, error) {
	ck, skipped, err := checkpoints.Resolve(resume, root)
	for _, s := range skipped {
		fmt.Fprintf(log, "%s: skipped invalid checkpoint: %v\n", command, s)
	}
	if errors.Is(err, checkpoints.ErrNoCheckpoint) && resume == checkpoints.ResumeLatest {
		fmt.Fprintf(log, "%s: no checkpoint under %s, starting fresh\n", command, root)
		return nil, nil
	}
	return ck, err
}

// openBackend returns given, or opens spec.
func openBackend(given compute.Backend, spec string) (compute.Backend, error) {
	if given != nil {
		return given, nil
	}
	return backend.Open(spec)
}
