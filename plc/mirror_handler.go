package plc

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// HeaderMirrorRejected is set on a mirror's reads of a DID for which the
// upstream served operations the mirror rejected; its value is how many.
const HeaderMirrorRejected = "Rhizome-Mirror-Rejected"

// Handler serves the mirror: the read API of [Directory.Handler] over the
// verified operations (documents, data, logs, the mirror's own export),
// and
//
//	GET /_mirror/status             upstream, cursor, lag, counts, as [MirrorStatus]
//	GET /_mirror/rejected?did=&limit=  the kept reports, oldest first
//
// Any other method than GET or HEAD (submitting an operation) is refused
// with 405 and a message naming the upstream to submit to.
func (m *Mirror) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_mirror/status", m.serveStatus)
	mux.HandleFunc("GET /_mirror/rejected", m.serveRejected)
	mux.Handle("GET /", m.flagRejected(m.dir.Handler()))
	mux.HandleFunc("/", m.serveReadOnly)
	return mux
}

func (m *Mirror) serveStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, "", m.Status())
}

// rejectedPage is the body of GET /_mirror/rejected.
type rejectedPage struct {
	Rejected  int64       `json:"rejected"`  // operations rejected since the mirror started
	Malformed int64       `json:"malformed"` // malformed lines since the mirror started
	Kept      int         `json:"kept"`      // reports kept in detail (all DIDs)
	Items     []Rejection `json:"items"`
}

func (m *Mirror) serveRejected(w http.ResponseWriter, r *http.Request) {
	const op = "read mirror reports"
	q := r.URL.Query()
	var did syntax.DID
	if s := q.Get("did"); s != "" {
		var err error
		if did, err = ParseDID(s); err != nil {
			writeError(w, err)
			return
		}
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, rhizome.E(op, rhizome.Invalid, "limit must be a positive integer"))
			return
		}
		limit = min(n, MaxMirrorRejections)
	}
	items := m.Rejections(did)
	items = items[max(0, len(items)-limit):]
	st := m.Status()
	writeJSON(w, "", rejectedPage{Rejected: st.Counts.Rejected, Malformed: st.Counts.Malformed,
		Kept: st.RejectionsKept, Items: nonNilRejections(items)})
}

func nonNilRejections(rs []Rejection) []Rejection {
	if rs == nil {
		return []Rejection{}
	}
	return rs
}

// flagRejected sets HeaderMirrorRejected on reads of a DID with reports.
func (m *Mirror) flagRejected(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if did, err := ParseDID(first); err == nil {
			if n := m.rejectedCount(did); n > 0 {
				w.Header().Set(HeaderMirrorRejected, strconv.Itoa(n))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// serveReadOnly refuses writes: operations go to the upstream.
func (m *Mirror) serveReadOnly(w http.ResponseWriter, r *http.Request) {
	target := m.base + "/"
	if first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); first != "" {
		if did, err := ParseDID(first); err == nil {
			target = m.base + "/" + string(did)
		}
	}
	msg := "this is a read-only mirror of the PLC directory at " + m.base +
		"; it only serves what it verified from there. Submit operations to " + target
	b, _ := json.Marshal(errorBody{Message: msg})
	w.Header().Set("Allow", "GET, HEAD")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusMethodNotAllowed)
	w.Write(b)
}
