package data

import "github.com/google/go-cmp/cmp/cmpopts"

var cmpNilEmpty = cmpopts.EquateEmpty()
