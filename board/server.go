package board

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Options configure a Server.
type Options struct {
	Root  string    // the folder of run directories
	Depth int       // how many folders down runs are looked for (default 4)
	Log   io.Writer // one line per failed request; nil discards
	Now   func() time.Time
}

// Server serves the dashboard of one folder.
type Server struct {
	opts Options
	root *os.Root
}

// New opens the root folder.
func New(o Options) (*Server, error) {
	if o.Depth <= 0 {
		o.Depth = 4
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	root, err := os.OpenRoot(o.Root)
	if err != nil {
		return nil, fmt.Errorf("board: %w", err)
	}
	return &Server{opts: o, root: root}, nil
}

// Close releases the root folder.
func (s *Server) Close() error { return s.root.Close() }

// Handler routes the page and the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(static, "static")
	mux.Handle("GET /", noCache(http.FileServerFS(assets)))
	mux.HandleFunc("GET /api/runs", s.runs)
	mux.HandleFunc("GET /api/metrics", s.metrics)
	mux.HandleFunc("GET /api/config", s.config)
	return mux
}

// Serve answers on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("board: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// noCache makes the browser revalidate the page after a new build.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) runs(w http.ResponseWriter, _ *http.Request) {
	runs, err := listRuns(s.root.FS(), s.opts.Depth, s.opts.Now())
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]any{"root": s.root.Name(), "runs": runs})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r.URL.Query().Get("run"))
	if err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	offset := int64(0)
	if o := r.URL.Query().Get("offset"); o != "" {
		if offset, err = strconv.ParseInt(o, 10, 64); err != nil {
			s.fail(w, http.StatusBadRequest, fmt.Errorf("offset %q: not an integer", o))
			return
		}
	}
	name := path.Join(id, metricsFile)
	f, err := s.root.Open(name)
	if err != nil {
		s.fail(w, http.StatusNotFound, fmt.Errorf("no run %q", id))
		return
	}
	defer f.Close()
	c, err := readChunk(f, name, offset)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, c)
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	id, err := runID(r.URL.Query().Get("run"))
	if err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	if _, err := s.root.Stat(path.Join(id, metricsFile)); err != nil {
		s.fail(w, http.StatusNotFound, fmt.Errorf("no run %q", id))
		return
	}
	out := map[string]any{"config": "", "run": nil}
	if data, err := s.root.ReadFile(path.Join(id, configFile)); err == nil {
		out["config"] = string(data)
	}
	if data, err := s.root.ReadFile(path.Join(id, infoFile)); err == nil {
		var info any
		if json.Unmarshal(data, &info) == nil {
			out["run"] = info
		}
	}
	writeJSON(w, out)
}

// runID checks a run id from a request: a clean relative slash path (the
// os.Root refuses escapes too; this gives the clearer message).
func runID(id string) (string, error) {
	switch {
	case id == "":
		return "", errors.New("run: missing")
	case path.IsAbs(id) || strings.Contains(id, "\\") || path.Clean(id) != id || id == ".." || strings.HasPrefix(id, "../"):
		return "", fmt.Errorf("run %q: want a path relative to the runs folder", id)
	}
	return id, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, status int, err error) {
	fmt.Fprintf(s.opts.Log, "board: %d %v\n", status, err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
