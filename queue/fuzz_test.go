package queue

import (
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go"
)

func FuzzParseMaxDeliveries(f *testing.F) {
	f.Add([]byte(`{"type":"io.nats.jetstream.advisory.v1.max_deliver","stream":"acecoder-jobs-exec","consumer":"acecoder-workers-exec","stream_seq":42,"deliveries":5}`))
	f.Add([]byte(`{"stream":"other","stream_seq":1}`))
	f.Add([]byte(`{"stream":"acecoder-jobs-exec","stream_seq":0}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseMaxDeliveries(KindExec, data)
		if err != nil {
			return
		}
		if a.Stream != jobStream(KindExec) || a.StreamSeq == 0 {
			t.Fatalf("accepted %+v from %q", a, data)
		}
		// What was accepted survives a round trip.
		out, _ := json.Marshal(a)
		b, err := parseMaxDeliveries(KindExec, out)
		if err != nil || b != a {
			t.Fatalf("round trip %+v -> %+v, %v", a, b, err)
		}
	})
}

func FuzzParseResult(f *testing.F) {
	f.Add("job-1", "w", "1", "", []byte("payload"))
	f.Add("job-2", "", "x", "boom", []byte("ignored"))
	f.Add("", "", "-3", "", []byte(nil))
	f.Fuzz(func(t *testing.T, id, worker, attempt, errText string, data []byte) {
		h := nats.Header{}
		h.Set(headerJobID, id)
		h.Set(headerWorker, worker)
		h.Set(headerAttempt, attempt)
		h.Set(headerError, errText)
		r := parseResult(h, data)
		if r.JobID != h.Get(headerJobID) || r.Worker != h.Get(headerWorker) {
			t.Fatalf("ids: %+v", r)
		}
		if (r.Err != "") != (r.Error() != nil) {
			t.Fatalf("Err %q but Error() %v", r.Err, r.Error())
		}
		if r.Err != "" && r.Payload != nil {
			t.Fatalf("error result with a payload: %+v", r)
		}
		if r.Err == "" && string(r.Payload) != string(data) {
			t.Fatalf("payload %q, want %q", r.Payload, data)
		}
	})
}
