package cli

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target every binary runs with
// unless GOGC is set. Training holds a few large buffers (weights,
// moments, activations) that the collector frees in bulk; with Go's
// default of 100 the heap may grow to twice the live data before a
// collection, so a train-rm step of a 38.6M-parameter model peaked at
// 2.4 GB RSS with 1.2 GB live. At 25 it peaked at 1.6 GB in the same time
// (the buffers hold no pointers, so a collection is cheap). See the
// memory tests in package trainer.
const GCPercent = 25

func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
