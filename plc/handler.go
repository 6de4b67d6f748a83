package plc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxBodySize bounds the body of a submitted operation. A valid operation
// is at most [MaxOperationSize] bytes of DRISL; its JSON is a little larger.
const MaxBodySize = 32 << 10

// Handler serves the PLC directory HTTP API:
//
//	GET  /{did}            DID document (404 unknown, 410 tombstoned)
//	GET  /{did}/data       state, as [Data]
//	GET  /{did}/log        operations that are not nullified
//	GET  /{did}/log/audit  the whole log, as [LogEntry] values
//	GET  /{did}/log/last   the latest operation
//	POST /{did}            submit an operation (JSON); 400 {"message"} if refused
//	GET  /export?after=&count=  JSON lines of [ExportEntry], by sequence number
//
// Errors are JSON objects with a "message".
func (d *Directory) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /export", d.serveExport)
	mux.HandleFunc("GET /{did}", d.withDID(d.serveDocument))
	mux.HandleFunc("POST /{did}", d.withDID(d.serveSubmit))
	mux.HandleFunc("GET /{did}/data", d.withDID(d.serveData))
	mux.HandleFunc("GET /{did}/log", d.withDID(d.serveLog))
	mux.HandleFunc("GET /{did}/log/audit", d.withDID(d.serveAudit))
	mux.HandleFunc("GET /{did}/log/last", d.withDID(d.serveLast))
	return mux
}

type didHandler func(w http.ResponseWriter, r *http.Request, did syntax.DID)

func (d *Directory) withDID(h didHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		did, err := ParseDID(r.PathValue("did"))
		if err != nil {
			writeError(w, err)
			return
		}
		h(w, r, did)
	}
}

func (d *Directory) serveDocument(w http.ResponseWriter, r *http.Request, did syntax.DID) {
	doc, err := d.Resolve(r.Context(), did)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, mediaTypeDIDJSON, doc)
}

func (d *Directory) serveData(w http.ResponseWriter, r *http.Request, did syntax.DID) {
	data, err := d.Data(r.Context(), did)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, "", data)
}

func (d *Directory) serveLog(w http.ResponseWriter, r *http.Request, did syntax.DID) {
	ops, err := d.Log(r.Context(), did)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, "", ops)
}

func (d *Directory) serveAudit(w http.ResponseWriter, r *http.Request, did syntax.DID) {
	entries, err := d.AuditLog(r.Context(), did)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, "", entries)
}

func (d *Directory) serveLast(w http.ResponseWriter, r *http.Request, did syntax.DID) {
	op, err := d.LastOp(r.Context(), did)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, "", op)
}

func (d *Directory) serveSubmit(w http.ResponseWriter, r *http.Request, did syntax.DID) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, rhizome.Errorf("read plc operation", rhizome.TooLarge, "body exceeds %d bytes", MaxBodySize))
		return
	}
	if err != nil {
		writeError(w, rhizome.Errorf("read plc operation", rhizome.Invalid, "%w", err))
		return
	}
	op, err := ParseOperationJSON(body)
	if err == nil {
		err = d.Submit(r.Context(), did, op)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (d *Directory) serveExport(w http.ResponseWriter, r *http.Request) {
	after, count, err := exportParams(r)
	if err != nil {
		writeError(w, err)
		return
	}
	entries, err := d.Export(r.Context(), after, count)
	if err != nil {
		writeError(w, err)
		return
	}
	var buf bytes.Buffer
	for i, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			writeError(w, err)
			return
		}
		if i > 0 {
			buf.WriteByte('\n')
		}
		buf.Write(b)
	}
	w.Header().Set("Content-Type", "application/jsonlines")
	w.Write(buf.Bytes())
}

// exportParams reads after (a sequence number; the legacy timestamp cursor
// is not supported) and count.
func exportParams(r *http.Request) (int64, int, error) {
	const op = "read export parameters"
	q := r.URL.Query()
	var after int64
	count := ExportLimit
	var err error
	if s := q.Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return 0, 0, rhizome.E(op, rhizome.Invalid, "after must be a sequence number")
		}
	}
	if s := q.Get("count"); s != "" {
		if count, err = strconv.Atoi(s); err != nil || count < 1 {
			return 0, 0, rhizome.E(op, rhizome.Invalid, "count must be a positive integer")
		}
	}
	return after, min(count, ExportLimit), nil
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, err)
		return
	}
	if contentType == "" {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(b)
}

type errorBody struct {
	Message string `json:"message"`
}

// writeError maps an error to a status and a {"message"} body. Internal
// errors get a generic message.
func writeError(w http.ResponseWriter, err error) {
	status, msg := statusOf(err), err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error"
	}
	b, _ := json.Marshal(errorBody{Message: msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func statusOf(err error) int {
	switch rhizome.KindOf(err) {
	case rhizome.Invalid:
		return http.StatusBadRequest
	case rhizome.NotFound:
		if errors.Is(err, ErrGone) {
			return http.StatusGone
		}
		return http.StatusNotFound
	case rhizome.TooLarge:
		return http.StatusRequestEntityTooLarge
	case rhizome.Exists, rhizome.Conflict:
		return http.StatusConflict
	case rhizome.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
