package queue

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

func storage(c KindConfig) jetstream.StorageType {
	if c.Memory {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}

// ensureKind makes sure the job stream of kind, its shared durable pull
// consumer and the results stream exist, and returns the consumer. With
// update (the trainer) existing ones take c's settings; without (a worker)
// existing ones are used as they are, so a worker never rewrites the
// cluster's settings.
func ensureKind(ctx context.Context, js jetstream.JetStream, kind string, c KindConfig, update bool) (jetstream.Consumer, error) {
	if err := ValidateKind(kind); err != nil {
		return nil, err
	}
	if !update {
		if cons, err := js.Consumer(ctx, jobStream(kind), workerDurable(kind)); err == nil {
			return cons, nil
		}
	}
	c = c.withDefaults()
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        jobStream(kind),
		Description: "acecoder " + kind + " jobs",
		Subjects:    []string{jobSubject(kind)},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     storage(c),
		Replicas:    c.Replicas,
		MaxAge:      c.MaxAge,
		Duplicates:  c.DupWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", jobStream(kind), err)
	}
	if err := ensureResults(ctx, js, c); err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, jobStream(kind), jetstream.ConsumerConfig{
		Durable:       workerDurable(kind),
		Description:   "acecoder " + kind + " workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    c.MaxDeliver,
		MaxAckPending: c.MaxAckPending,
		FilterSubject: jobSubject(kind),
		Replicas:      c.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: consumer %s: %w", workerDurable(kind), err)
	}
	return cons, nil
}

// ensureResults creates the results stream. Its duplicate window is what
// turns a job executed twice into one stored result.
func ensureResults(ctx context.Context, js jetstream.JetStream, c KindConfig) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        resultsStream,
		Description: "acecoder job results, one subject per client",
		Subjects:    []string{resultsSubject + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     storage(c),
		Replicas:    c.Replicas,
		MaxAge:      c.MaxAge,
		Duplicates:  c.DupWindow,
	})
	if err != nil {
		return fmt.Errorf("queue: stream %s: %w", resultsStream, err)
	}
	return nil
}
