// Package board is the live training dashboard of `acecoder board`: a web
// server over a folder of run directories that lists the runs and sweeps
// under it and draws the curves of their metrics.jsonl, several runs
// overlaid with one legend, updating while they are written, with a run's
// config.yaml and run.json beside the curves.
//
// The page, its script and its style are embedded in the binary (no CDN,
// nothing fetched from elsewhere); the server listens on loopback unless
// told otherwise and serves only files named metrics.jsonl, config.yaml and
// run.json of run directories under its root, read through an os.Root so
// no request can leave that folder.
//
// API (all JSON, GET):
//
//	/api/runs                      the runs under the root: id (path relative to
//	                               the root), name, group (parent folder), sweep,
//	                               modified, live (written in the last minute)
//	/api/metrics?run=ID&offset=N   the complete records written since byte N,
//	                               and the offset to ask from next; a file that
//	                               shrank (a resumed run) starts again at 0
//	/api/config?run=ID             config.yaml as text and run.json
package board
