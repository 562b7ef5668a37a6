package policy

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/ml/model"
)

// VariablesAsParameters makes graph g read the store's variables as
// parameters, fed with their current values at every call. Every graph
// function of this project calls it first.
//
// Backends that advertise PreferConstantsForVariables (the go backend from
// compute v0.1.14, ONNX Runtime) otherwise make GoMLX embed each variable's
// value as a constant in graphs not marked as training. model.Exec caches
// the compiled graph per input shape and never recompiles it, so a later
// change of the variable — an optimiser step run by another graph, a loaded
// checkpoint, the policy update between two rollouts — would be silently
// ignored. Weights here change between calls of the same graph, so they
// must never be constants. GoMLX's only switch for this is the graph's
// training flag; nothing in this project's graphs reads it otherwise.
func VariablesAsParameters(store *model.Store, g *Graph) { store.SetTraining(g, true) }

// gradientsKey is the graph parameter ForGradients sets.
const gradientsKey = "/acecoder/policy/gradients"

// ForGradients marks g as a graph that differentiates the decoder (a
// training step). The decoder then lays out its dense layers so that their
// backward pass transposes as little as possible (see denseLayout); graphs
// that only run forward keep the layout with no transposes at all.
func ForGradients(g *Graph) { model.SetGraphParam(g, gradientsKey, true) }

// forGradients reports whether ForGradients marked g.
func forGradients(g *Graph) bool {
	v, ok := model.GetGraphParam(g, gradientsKey)
	b, _ := v.(bool)
	return ok && b
}
