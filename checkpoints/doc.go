// Package checkpoints saves and loads training checkpoints atomically: a
// directory step-%08d/ with weights, optimizer state, RNG state, data cursor,
// loop state, resolved config and a manifest (format version, sha256 per
// file) written last.
//
// The package knows nothing of models: weights and optimizer state are
// opaque files the trainer writes through a callback (File), small state is
// any JSON-serialisable value (Content.State), and the resolved config is
// stored as bytes so that on resume the architecture comes from the
// checkpoint, not from the command line.
//
// # Crash safety
//
// Save writes into root/.tmp-step-%08d-*/, fsyncs every file, writes
// manifest.json last, fsyncs the directory, renames it to root/step-%08d/
// and fsyncs root. Pruning (Options.Keep) renames a victim to a .tmp- name
// before deleting it. So a step-* directory is either complete or absent,
// whenever the process dies (SIGKILL included), and the previous checkpoint
// stays usable. Temporary directories left by a crash are removed by the
// next Save. (GoMLX's own checkpoint writer writes in place; that is why
// trainers go through this package.)
//
// Load verifies a checkpoint before anything uses it: a missing manifest,
// a missing, extra, truncated or modified file is refused with a
// *VerifyError naming the file. Latest finds the newest checkpoint that
// verifies; Resolve implements --resume ("" / "latest" / PATH).
//
// # Signals
//
// Trainers stop on SIGINT/SIGTERM and write a final checkpoint before they
// exit:
//
//	ctx, stop := checkpoints.NotifyContext(ctx)
//	defer stop()
//	saver := &checkpoints.Saver{Root: dir, Options: checkpoints.Options{Keep: 3}}
//	saved := step // the step resumed from, or -1 on a fresh run
//	for step < total && ctx.Err() == nil {
//		if err := trainStep(ctx); err != nil { ... } // a step cut short leaves the state as it was
//		step++ // steps completed
//		if step%every == 0 {
//			if _, err := saver.Save(ctx, step, content()); err == nil {
//				saved = step
//			}
//		}
//	}
//	if ctx.Err() != nil && saved != step {
//		fctx, cancel := checkpoints.FinalContext(ctx, 2*time.Minute)
//		defer cancel()
//		_, err := saver.Save(fctx, step, content()) // ctx itself is already cancelled
//		...
//	}
//
// A Save interrupted by the signal is abandoned cleanly (its temporary
// directory removed), and the final Save under the fresh bounded context
// writes the same state. A second signal kills the process with the default
// action (the earlier checkpoints stay valid). Save refuses to overwrite an
// existing step directory, hence the saved != step check.
package checkpoints
