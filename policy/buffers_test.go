package policy

import (
	"reflect"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/backend"
)

// storageBytes is the length of a Go-backend buffer's storage (its
// RawBytes field), or -1 when the tensor's buffer has no such field.
func storageBytes(t *testing.T, x *tensors.Tensor) int {
	t.Helper()
	b := backend.MustOpenGo()
	buf, err := x.Buffer(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := reflect.ValueOf(buf).Elem().FieldByName("RawBytes")
	if !f.IsValid() {
		return -1
	}
	return f.Len()
}

func TestDeviceTensorHoldsExactlyItsValues(t *testing.T) {
	b := backend.MustOpenGo()
	// 1.05 MiB of float32: the backend's pools round it up to 1.5 MiB.
	rows, cols := 35, 8000
	vals := make([]float32, rows*cols)
	for i := range vals {
		vals[i] = float32(i%97) - 48
	}
	want := append([]float32(nil), vals...)

	pooled := tensors.FromFlatDataAndDimensions(append([]float32(nil), vals...), rows, cols)
	if n := storageBytes(t, pooled); n != -1 && n <= 4*len(vals) {
		t.Logf("the Go backend no longer rounds buffers up (%d bytes for %d)", n, 4*len(vals))
	}

	x, err := DeviceTensor(b, vals, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	if n := storageBytes(t, x); n != 4*len(vals) {
		t.Fatalf("DeviceTensor storage: %d bytes, want exactly %d", n, 4*len(vals))
	}
	if got := flat32(t, x); !reflect.DeepEqual(got, want) {
		t.Fatal("DeviceTensor values differ from the input")
	}
	// A graph reads it and a donation-free execution leaves it intact.
	exec, err := NewExec(b, func(w *Node) *Node { return ReduceAllSum(MulScalar(w, 2)) })
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range want {
		sum += 2 * float64(v)
	}
	for range 2 {
		out, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := float64(tensors.ToScalar[float32](out[0])); got != sum {
			t.Fatalf("sum of 2·w = %v, want %v", got, sum)
		}
	}
	if got := flat32(t, x); !reflect.DeepEqual(got, want) {
		t.Fatal("values changed after use in a graph")
	}
}

func TestModelWeightsUseExactStorage(t *testing.T) {
	m := tinyModel(t, "tiny-qwen2", 1)
	for _, p := range m.Config.Params() {
		v := m.Store.GetVariable(VariablePath(m.Decoder.Scope, p.Name))
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if val.DType() != dtypes.Float32 {
			t.Fatalf("%s: %s", p.Name, val.DType())
		}
		if n, want := storageBytes(t, val), 4*numElements(p.Shape); n != want {
			t.Errorf("%s %v: storage %d bytes, want %d", p.Name, p.Shape, n, want)
		}
	}
}
