package optim

// Learning-rate schedules, as Hugging Face transformers' get_scheduler
// computes them (OpenRLHF uses "cosine_with_min_lr" for reward models and
// policies). Host-side pure functions: the trainer evaluates the schedule
// for each optimiser step and feeds the value to the update graph, so the
// schedule is part of the loop state, not of the graph.

import (
	"fmt"
	"math"
)

// Schedule is a learning-rate schedule over Total optimiser steps.
type Schedule struct {
	// Peak is the learning rate after warm-up.
	Peak float64
	// Warmup is the number of linear warm-up steps (see WarmupSteps).
	Warmup int
	// Total is the number of optimiser steps of the run.
	Total int
	// MinRatio is the fraction of Peak the cosine decays to.
	MinRatio float64
	// Kind is "cosine" (warm-up, then cosine decay to MinRatio·Peak) or
	// "constant" (warm-up, then Peak).
	Kind string
}

// WarmupSteps is ceil(total·ratio), OpenRLHF's number of warm-up steps.
func WarmupSteps(total int, ratio float64) int {
	return int(math.Ceil(float64(total) * ratio))
}

// Validate checks the schedule's fields.
func (s Schedule) Validate() error {
	switch {
	case s.Kind != "cosine" && s.Kind != "constant":
		return fmt.Errorf("optim: schedule %q: want cosine or constant", s.Kind)
	case s.Total <= 0:
		return fmt.Errorf("optim: schedule: %d total steps", s.Total)
	case s.Warmup < 0 || s.Warmup > s.Total:
		return fmt.Errorf("optim: schedule: %d warm-up steps of %d", s.Warmup, s.Total)
	}
	return nil
}

// At returns the learning rate of optimiser step `step` (0-based: the
// value used by the step-th update), as transformers' LambdaLR gives it
// before scheduler.step() is called for that update:
//
//	warm-up  (step < W):  Peak · step / max(1, W)
//	cosine   (step ≥ W):  Peak · (m + (1−m) · ½(1 + cos(π·p))),  p = (step−W) / max(1, T−W)
//	constant (step ≥ W):  Peak
//
// with m = MinRatio, W = Warmup, T = Total; p is clamped to [0, 1].
// Like transformers, the first warm-up step has learning rate 0.
func (s Schedule) At(step int) float64 {
	if step < s.Warmup {
		return s.Peak * float64(step) / float64(max(1, s.Warmup))
	}
	if s.Kind == "constant" {
		return s.Peak
	}
	p := float64(step-s.Warmup) / float64(max(1, s.Total-s.Warmup))
	p = math.Min(1, math.Max(0, p))
	return s.Peak * (s.MinRatio + (1-s.MinRatio)*0.5*(1+math.Cos(math.Pi*p)))
}
