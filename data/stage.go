package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Progress receives one Add per input row handled (progress.Bar satisfies
// it).
type Progress interface{ Add(n int) }

// StageIO is what every stage shares: files, parallelism and reporting.
type StageIO struct {
	Input    string      // input JSONL
	Output   string      // output JSONL (appended to and resumed)
	Failures *FailureLog // where failed rows are recorded; may be nil
	Workers  int         // rows processed at once (default 4)
	Progress Progress    // optional
	Log      io.Writer   // optional: malformed lines are reported here
}

// Summary is a stage's statistics.
type Summary struct {
	Stage          string
	Read           int                // well-formed input rows
	Skipped        int                // already in the output (resume)
	Duplicates     int                // repeated ids in the input
	Written        int                // rows appended to the output
	Dropped        int                // rows removed by the stage's rule
	Failed         int                // rows recorded as failures
	Malformed      int                // malformed input lines
	MalformedLines []string           // the first few, as file:line: reason
	Counts         map[string]float64 // stage-specific totals
}

const keepMalformed = 20

func (s *Summary) addMalformed(log io.Writer, bad []*LineError) {
	s.Malformed += len(bad)
	for _, e := range bad {
		if log != nil {
			fmt.Fprintf(log, "malformed: %v\n", e)
		}
		if len(s.MalformedLines) < keepMalformed {
			s.MalformedLines = append(s.MalformedLines, e.Error())
		}
	}
}

func (s *Summary) count(key string, v float64) {
	if s.Counts == nil {
		s.Counts = map[string]float64{}
	}
	s.Counts[key] += v
}

// String renders the summary as an aligned table.
func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s summary\n", s.Stage)
	row := func(k string, v any) { fmt.Fprintf(&b, "  %-28s %v\n", k, v) }
	row("read", s.Read)
	row("skipped (already done)", s.Skipped)
	row("duplicate ids", s.Duplicates)
	row("written", s.Written)
	row("dropped by rule", s.Dropped)
	row("failed (see failures log)", s.Failed)
	row("malformed input lines", s.Malformed)
	keys := make([]string, 0, len(s.Counts))
	for k := range s.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row(k, s.Counts[k])
	}
	for _, m := range s.MalformedLines {
		fmt.Fprintf(&b, "  malformed: %s\n", m)
	}
	return b.String()
}

// rowResult is what a stage's work function returns for one row.
type rowResult[O any] struct {
	out    O
	keep   bool               // append out to the output
	fail   *Failure           // the row failed; recorded, not written
	fatal  error              // the stage cannot go on (e.g. no interpreter)
	counts map[string]float64 // added to Summary.Counts when written or dropped
}

type future[O any] struct {
	id   string
	done chan rowResult[O]
}

// runIncremental reads sio.Input, skips ids already in sio.Output, runs work
// on up to sio.Workers rows at once and appends results in input order. Because
// the order is the input order and results of a cancelled run are discarded,
// rerunning after a kill yields the same file as one uninterrupted run.
func runIncremental[I, O any](ctx context.Context, sio StageIO, sum *Summary,
	idOf func(I) string, work func(context.Context, string, I) rowResult[O]) error {
	app, err := OpenAppender(sio.Output)
	if err != nil {
		return err
	}
	workers := max(sio.Workers, 1)
	if sio.Workers == 0 {
		workers = 4
	}
	futures := make(chan *future[O], workers)
	g, gctx := errgroup.WithContext(ctx)
	var wg sync.WaitGroup
	g.Go(func() error {
		defer close(futures)
		sem := make(chan struct{}, workers)
		queued := map[string]bool{}
		bad, err := ReadJSONL(gctx, sio.Input, func(_ int, row I) error {
			sum.Read++
			id := idOf(row)
			switch {
			case app.Has(id):
				sum.Skipped++
				addProgress(sio.Progress)
				return nil
			case queued[id]:
				sum.Duplicates++
				addProgress(sio.Progress)
				return nil
			}
			queued[id] = true
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			f := &future[O]{id: id, done: make(chan rowResult[O], 1)}
			select {
			case futures <- f:
			case <-gctx.Done():
				<-sem
				return gctx.Err()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				f.done <- work(gctx, id, row)
			}()
			return nil
		})
		sum.addMalformed(sio.Log, bad)
		return err
	})
	g.Go(func() error { return emitInOrder(gctx, sio, sum, app, futures) })
	err = g.Wait()
	wg.Wait()
	if cerr := app.Close(); err == nil {
		err = cerr
	}
	return err
}

// emitInOrder writes finished rows in input order until futures closes.
func emitInOrder[O any](ctx context.Context, sio StageIO, sum *Summary, app *Appender, futures <-chan *future[O]) error {
	for f := range futures {
		var r rowResult[O]
		select {
		case r = <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return err // results computed while cancelling are not trusted
		}
		switch {
		case r.fatal != nil:
			return r.fatal
		case r.fail != nil:
			r.fail.ID, r.fail.Final = f.id, true
			sio.Failures.Record(*r.fail)
			sum.Failed++
		case r.keep:
			if err := app.Append(f.id, r.out); err != nil {
				return err
			}
			sum.Written++
		default:
			sum.Dropped++
		}
		for k, v := range r.counts {
			sum.count(k, v)
		}
		addProgress(sio.Progress)
	}
	return nil
}

func addProgress(p Progress) {
	if p != nil {
		p.Add(1)
	}
}

// isCancel reports whether err comes from the context being cancelled.
func isCancel(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// CountLines counts the non-empty lines of a file, for progress totals.
func CountLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	n, buf, prevNL := 0, make([]byte, 1<<16), true
	for {
		k, err := f.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				prevNL = true
			} else if prevNL && !bytes.ContainsRune([]byte(" \t\r"), rune(c)) {
				n++
				prevNL = false
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("data: %w", err)
		}
	}
}
