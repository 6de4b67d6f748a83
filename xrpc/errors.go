package xrpc

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/rhizome-pds/rhizome"
)

// errorBody is the XRPC error shape.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message,omitempty"`
}

var kindStatus = map[rhizome.Kind]struct {
	status int
	name   string
}{
	rhizome.Invalid:      {http.StatusBadRequest, "InvalidRequest"},
	rhizome.NotFound:     {http.StatusBadRequest, "NotFound"},
	rhizome.Exists:       {http.StatusBadRequest, "AlreadyExists"},
	rhizome.Conflict:     {http.StatusBadRequest, "InvalidSwap"},
	rhizome.Unauthorized: {http.StatusUnauthorized, "AuthenticationRequired"},
	rhizome.Forbidden:    {http.StatusForbidden, "Forbidden"},
	rhizome.TooLarge:     {http.StatusRequestEntityTooLarge, "PayloadTooLarge"},
	rhizome.Unavailable:  {http.StatusServiceUnavailable, "UpstreamFailure"},
}

// nameStatus overrides the status for names the protocol gives their own.
var nameStatus = map[string]int{
	"MethodNotImplemented": http.StatusNotImplemented,
	"RateLimitExceeded":    http.StatusTooManyRequests,
	"ExpiredToken":         http.StatusBadRequest,
	"InvalidToken":         http.StatusBadRequest,
	"BlobTooLarge":         http.StatusBadRequest,
	"AccountTakedown":      http.StatusUnauthorized,
	"RepoDeactivated":      http.StatusBadRequest,
	"RepoTakendown":        http.StatusBadRequest,
}

// writeError maps err to the XRPC error shape. Internal errors are logged
// and reported without their detail.
func writeError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	kind := rhizome.KindOf(err)
	ks, known := kindStatus[kind]
	body := errorBody{Error: ks.name, Message: message(err)}
	status := ks.status
	if !known {
		status, body = http.StatusInternalServerError, errorBody{Error: "InternalServerError", Message: "internal error"}
		log.Error("request failed", "method", r.URL.Path, "err", err)
	}
	if name := rhizome.NameOf(err); name != "" && known {
		body.Error = name
		if s, ok := nameStatus[name]; ok {
			status = s
		}
	}
	writeJSON(w, status, body)
}

// message is the innermost useful text of err.
func message(err error) string {
	var e *rhizome.Error
	for errors.As(err, &e) && e.Err != nil {
		var inner *rhizome.Error
		if !errors.As(e.Err, &inner) {
			return e.Err.Error()
		}
		err = e.Err
	}
	return err.Error()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
