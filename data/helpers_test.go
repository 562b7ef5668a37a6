package data

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpNilEmpty compares rows treating nil and empty alike, and sees their
// unexported id-kind flags.
var cmpNilEmpty = cmp.Options{cmpopts.EquateEmpty(),
	cmp.AllowUnexported(SeedRow{}, QuestionRow{}, FilteredRow{}, AceCodeRow{}, PairRow{})}
