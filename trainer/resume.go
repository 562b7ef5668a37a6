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

// loopStart is what every training loop settles before it builds anything:
// where it logs, the checkpoint it resumes from (nil when fresh) and the
// backend.
type loopStart struct {
	log io.Writer
	ck  *checkpoints.Checkpoint
	b   compute.Backend
}

// startLoop resolves a loop's log writer (nil discards), its checkpoint
// under ckRoot per resume, and its backend (given, or opened from spec).
func startLoop(log io.Writer, ckRoot, resume, command string, given compute.Backend, spec string) (loopStart, error) {
	if log == nil {
		log = io.Discard
	}
	ck, err := resolveResume(resume, ckRoot, command, log)
	if err != nil {
		return loopStart{}, err
	}
	b, err := openBackend(given, spec)
	if err != nil {
		return loopStart{}, err
	}
	return loopStart{log: log, ck: ck, b: b}, nil
}
