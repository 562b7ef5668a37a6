// Package queue moves test-execution jobs between the trainer and any
// number of worker processes over NATS JetStream. (Reward models are served
// over HTTP by acecoder serve-reward --reward-pretrain, not through the
// queue.)
//
// Each job kind (the project uses "exec") has its own work-queue stream
// (acecoder-jobs-<kind>, subject acecoder.jobs.<kind>) read by one durable
// pull consumer (acecoder-workers-<kind>) that every worker of that kind
// shares. A job is a JSON payload; its ID travels as the JetStream message ID,
// so a re-published job is stored once. A worker runs the job, stores the
// result in the results stream (acecoder-results, subject
// acecoder.results.<client>) under the same message ID, and only then acks the
// job. A worker that dies mid-job stops sending in-progress heartbeats; after
// AckWait the job goes to another worker, and a second copy of its result is
// dropped by the stream's duplicate window and again by the Client, so each
// job yields exactly one result. Delivery is bounded by MaxDeliver: the last
// failed attempt, or the server's max-deliveries advisory, becomes a terminal
// error result.
//
// By default everything runs in one process: StartLocal starts an embedded
// server on loopback with its store in a temporary directory and in-process
// workers. Given a URL, the same Client and workers use an external NATS
// cluster; credentials and TLS settings in ConnOptions go to the NATS client.
package queue
