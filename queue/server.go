package queue

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ServerOptions configures an embedded server. The zero value is the
// default: loopback, a free port, a file store in a fresh temp dir.
type ServerOptions struct {
	Port       int    // 0 picks a free port
	StoreDir   string // "" creates a temp dir that Close removes
	MaxPayload int32  // largest job or result in bytes; 0 means 8 MiB
}

// Server is a NATS server with JetStream running inside this process,
// listening on 127.0.0.1 only.
type Server struct {
	ns      *server.Server
	dir     string
	tempDir bool
}

// StartServer starts an embedded server and waits until it accepts clients.
func StartServer(o ServerOptions) (*Server, error) {
	s := &Server{dir: o.StoreDir}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "acecoder-nats-")
		if err != nil {
			return nil, fmt.Errorf("queue: server store: %w", err)
		}
		s.dir, s.tempDir = dir, true
	}
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	maxPayload := o.MaxPayload
	if maxPayload <= 0 {
		maxPayload = 8 << 20
	}
	opts := &server.Options{
		ServerName:             "acecoder-embedded",
		Host:                   "127.0.0.1",
		Port:                   port,
		JetStream:              true,
		StoreDir:               s.dir,
		MaxPayload:             maxPayload,
		NoLog:                  true,
		NoSigs:                 true,
		DisableJetStreamBanner: true,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		s.removeDir()
		return nil, fmt.Errorf("queue: embedded server: %w", err)
	}
	s.ns = ns
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		s.Close()
		return nil, errors.New("queue: embedded server not ready after 10s")
	}
	return s, nil
}

// URL is the loopback address other processes (local workers) dial.
func (s *Server) URL() string { return s.ns.ClientURL() }

// Conn opens an in-process connection that bypasses the TCP stack.
func (s *Server) Conn(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(s.ns), nats.Name(name))
	if err != nil {
		return nil, fmt.Errorf("queue: in-process connection: %w", err)
	}
	return nc, nil
}

// Close stops the server and removes a temp store.
func (s *Server) Close() error {
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	return s.removeDir()
}

func (s *Server) removeDir() error {
	if !s.tempDir {
		return nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("queue: remove server store: %w", err)
	}
	return nil
}
