package serve

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// reqInfo is what a handler reports for the request's log line.
type reqInfo struct {
	promptTokens, completionTokens int
	stream                         bool
}

type infoKey struct{}

// infoOf is the log record of r (a throwaway one outside logged).
func infoOf(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// statusWriter records the status of a response and passes flushes on (a
// stream needs them).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logged writes one line per request: client, method, path, status,
// duration, prompt and completion tokens, and whether it streamed.
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &reqInfo{}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		s.logMu.Lock()
		defer s.logMu.Unlock()
		fmt.Fprintf(s.opts.Log, "serve: %s %s %s %d %s prompt_tokens=%d completion_tokens=%d stream=%t\n",
			r.RemoteAddr, r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond),
			info.promptTokens, info.completionTokens, info.stream)
	})
}
