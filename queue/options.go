package queue

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"
)

// KindExec is the job kind of test execution, the one the project's
// workers serve. Any name matching kindPattern names a stream.
const KindExec = "exec"

// Header names carried by job and result messages.
const (
	headerResultSubject = "Acecoder-Result-Subject"
	headerJobID         = "Acecoder-Job-Id"
	headerWorker        = "Acecoder-Worker"
	headerAttempt       = "Acecoder-Attempt"
	headerError         = "Acecoder-Error"
)

const (
	resultsStream  = "acecoder-results"
	resultsSubject = "acecoder.results"
)

var kindPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ValidateKind reports whether kind can name a stream and a subject token.
func ValidateKind(kind string) error {
	if !kindPattern.MatchString(kind) {
		return fmt.Errorf("queue: kind %q: want lower-case letters, digits and '-' (at most 32)", kind)
	}
	return nil
}

func jobStream(kind string) string     { return "acecoder-jobs-" + kind }
func jobSubject(kind string) string    { return "acecoder.jobs." + kind }
func workerDurable(kind string) string { return "acecoder-workers-" + kind }

// ConnOptions says how to reach a NATS server. Everything except URL and
// Name is passed through to the NATS client unchanged.
type ConnOptions struct {
	URL          string // e.g. nats://host:4222 (comma-separated for a cluster)
	Name         string // connection name shown by the server's monitoring
	CredsFile    string // JWT + NKey chained credentials file
	NKeySeedFile string // NKey seed file
	User         string
	Password     string
	Token        string
	TLSCAFile    string // CA bundle used to verify the server
	TLSCertFile  string // client certificate (mutual TLS), with TLSKeyFile
	TLSKeyFile   string
	Timeout      time.Duration // connect timeout; 0 means the client default
}

// natsOptions translates o into NATS client options.
func (o ConnOptions) natsOptions() ([]nats.Option, error) {
	opts := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if o.Name != "" {
		opts = append(opts, nats.Name(o.Name))
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeySeedFile != "" {
		nk, err := nats.NkeyOptionFromSeed(o.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("queue: nkey seed %s: %w", o.NKeySeedFile, err)
		}
		opts = append(opts, nk)
	}
	if o.User != "" || o.Password != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.TLSCAFile != "" {
		opts = append(opts, nats.RootCAs(o.TLSCAFile))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return nil, errors.New("queue: TLS client certificate and key must be given together")
	}
	if o.TLSCertFile != "" {
		opts = append(opts, nats.ClientCert(o.TLSCertFile, o.TLSKeyFile))
	}
	if o.Timeout > 0 {
		opts = append(opts, nats.Timeout(o.Timeout))
	}
	return opts, nil
}

// Connect dials the server named by o.URL.
func Connect(o ConnOptions) (*nats.Conn, error) {
	if o.URL == "" {
		return nil, errors.New("queue: connect: empty URL")
	}
	opts, err := o.natsOptions()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("queue: connect %s: %w", o.URL, err)
	}
	return nc, nil
}

// KindConfig sets the delivery rules of one job kind. The trainer and the
// workers should agree; whichever starts later updates the consumer.
type KindConfig struct {
	AckWait       time.Duration // a job not acked or heartbeated for this long is redelivered
	MaxDeliver    int           // deliveries before a job fails terminally
	MaxAckPending int           // jobs handed out but not yet acked, over all workers
	Replicas      int           // stream replicas (1 embedded; 3 on a 3-node cluster)
	MaxAge        time.Duration // jobs and results older than this are discarded
	DupWindow     time.Duration // how long the server remembers job and result IDs
	Memory        bool          // keep the streams in memory instead of files
}

// DefaultKindConfig returns the settings used when a field is zero.
func DefaultKindConfig() KindConfig {
	return KindConfig{
		AckWait:       30 * time.Second,
		MaxDeliver:    5,
		MaxAckPending: 20000,
		Replicas:      1,
		MaxAge:        time.Hour,
		DupWindow:     10 * time.Minute,
	}
}

// withDefaults fills zero fields from DefaultKindConfig.
func (c KindConfig) withDefaults() KindConfig {
	d := DefaultKindConfig()
	if c.AckWait <= 0 {
		c.AckWait = d.AckWait
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = d.MaxDeliver
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = d.MaxAckPending
	}
	if c.Replicas <= 0 {
		c.Replicas = d.Replicas
	}
	if c.MaxAge <= 0 {
		c.MaxAge = d.MaxAge
	}
	if c.DupWindow <= 0 {
		c.DupWindow = d.DupWindow
	}
	if c.DupWindow > c.MaxAge {
		c.DupWindow = c.MaxAge
	}
	return c
}
