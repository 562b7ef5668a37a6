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
