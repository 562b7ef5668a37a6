package safetensors

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func f32Tensor(name string, shape []int, vals []float32, d DType) Tensor {
	raw, err := EncodeFloat32(nil, vals, d)
	if err != nil {
		panic(err)
	}
	return Tensor{Name: name, DType: d, Shape: shape, Data: raw}
}

func TestRoundTrip(t *testing.T) {
	vals := []float32{0, 1, -2.5, 3.1415927, 1e-20, -65504, float32(math.Inf(1))}
	for _, tc := range []struct {
		name string
		d    DType
	}{{"f32", F32}, {"bf16", BF16}, {"f16", F16}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.safetensors")
			ts := []Tensor{f32Tensor("b", []int{7}, vals, tc.d), f32Tensor("a.scalar", nil, vals[3:4], tc.d)}
			if err := Write(path, ts, map[string]string{"format": "pt"}); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Header.DataOffset%8 != 0 {
				t.Errorf("data offset %d not 8-aligned", f.Header.DataOffset)
			}
			got, err := f.Float32("b")
			if err != nil {
				t.Fatal(err)
			}
			want, _ := DecodeFloat32(nil, ts[0].Data, tc.d)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("values differ (-want +got):\n%s", diff)
			}
			raw, _ := f.Raw("b")
			if string(raw) != string(ts[0].Data) {
				t.Error("raw bytes differ")
			}
			info, _ := f.Info("a.scalar")
			if len(info.Shape) != 0 || info.NumElements() != 1 {
				t.Errorf("scalar info %+v", info)
			}
			if f.Header.Metadata["format"] != "pt" {
				t.Errorf("metadata %v", f.Header.Metadata)
			}
		})
	}
}

func TestBF16Rounding(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   uint32
		want uint16
	}{
		{"exact", 0x3f800000, 0x3f80},
		{"round down", 0x3f807fff, 0x3f80},
		{"tie to even (down)", 0x3f808000, 0x3f80},
		{"tie to even (up)", 0x3f818000, 0x3f82},
		{"round up", 0x3f808001, 0x3f81},
		{"overflow to inf", 0x7f7fffff, 0x7f80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := BF16FromFloat32(math.Float32frombits(tc.in)); got != tc.want {
				t.Errorf("BF16FromFloat32(%#x) = %#x, want %#x", tc.in, got, tc.want)
			}
		})
	}
	if nan := Float32FromBF16(BF16FromFloat32(float32(math.NaN()))); nan == nan {
		t.Error("NaN did not stay NaN")
	}
}

func header(js string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	b = append(b, js...)
	return append(b, make([]byte, data)...)
}

func TestParseHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, js, want string
		data           int
	}{
		{"bad json", `{`, "header JSON", 0},
		{"unknown dtype", `{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}`, "unknown dtype", 4},
		{"size mismatch", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, "needs 8 bytes", 4},
		{"overlap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}`, "overlaps", 8},
		{"hole", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, "hole", 8},
		{"beyond file", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, "cover 4 data bytes, file holds 2", 2},
		{"negative dim", `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, "invalid dimension", 4},
		{"bad offsets", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, "2 entries", 4},
		{"bad metadata", `{"__metadata__":{"a":1}}`, "__metadata__", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := header(tc.js, tc.data)
			_, err := ParseHeader(buf, int64(len(buf)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
	if _, err := ParseHeader([]byte{1, 2}, 2); err == nil {
		t.Error("short file accepted")
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	if _, err := ParseHeader(huge, 8); err == nil {
		t.Error("huge header length accepted")
	}
}

func TestWriteDirSharded(t *testing.T) {
	dir := t.TempDir()
	var ts []Tensor
	for i, name := range []string{"w.c", "w.a", "w.b", "w.d"} {
		ts = append(ts, f32Tensor(name, []int{2, 3}, []float32{float32(i), 1, 2, 3, 4, 5}, BF16))
	}
	if err := WriteDir(dir, ts, 24); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ShardName(2, 2))); err != nil {
		t.Fatalf("want 2 shards: %v", err)
	}
	set, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if diff := cmp.Diff([]string{"w.a", "w.b", "w.c", "w.d"}, set.Names()); diff != "" {
		t.Error(diff)
	}
	got, err := set.Float32("w.c")
	if err != nil || got[0] != 0 || got[5] != 5 {
		t.Errorf("w.c = %v, %v", got, err)
	}
}

func FuzzParseHeader(f *testing.F) {
	ok, _ := EncodeHeader([]Tensor{f32Tensor("a", []int{2}, []float32{1, 2}, F32)}, map[string]string{"k": "v"})
	f.Add(append(ok, make([]byte, 8)...))
	f.Add(header(`{"a":{"dtype":"BF16","shape":[1,1],"data_offsets":[0,2]}}`, 2))
	f.Add(header(`{"a":{"dtype":"F32","shape":[9223372036854775807,9223372036854775807],"data_offsets":[0,4]}}`, 4))
	f.Fuzz(func(t *testing.T, buf []byte) {
		h, err := ParseHeader(buf, int64(len(buf)))
		if err != nil {
			return
		}
		dataSize := int64(len(buf)) - h.DataOffset
		for _, ti := range h.Tensors {
			if ti.Begin < 0 || ti.End > dataSize || ti.End-ti.Begin != ti.NumElements()*int64(ti.DType.Size()) {
				t.Fatalf("accepted inconsistent tensor %+v (data %d bytes)", ti, dataSize)
			}
		}
	})
}
