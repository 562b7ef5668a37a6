package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// apiError is an error answered in OpenAI's shape.
type apiError struct {
	status int
	code   string // e.g. "invalid_value", "model_not_found"
	param  string // the request field at fault, if any
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func invalid(param, format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "invalid_value", param: param, msg: fmt.Sprintf(format, args...)}
}

func unsupported(param, format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "unsupported_parameter", param: param, msg: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of an error answer (or of an error event in a
// stream).
func errorBody(err error) (int, map[string]any) {
	var ae *apiError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &tooBig):
		ae = &apiError{status: http.StatusRequestEntityTooLarge, code: "request_too_large", msg: err.Error()}
	default:
		ae = &apiError{status: http.StatusInternalServerError, code: "internal_error", msg: err.Error()}
	}
	kind := "invalid_request_error"
	switch {
	case ae.status == http.StatusTooManyRequests:
		kind = "rate_limit_error"
	case ae.status >= 500:
		kind = "server_error"
	}
	var param any
	if ae.param != "" {
		param = ae.param
	}
	return ae.status, map[string]any{"error": map[string]any{"message": ae.msg, "type": kind, "param": param, "code": ae.code}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	status, body := errorBody(err)
	writeJSON(w, status, body)
}
