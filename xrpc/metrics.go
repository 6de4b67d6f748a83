package xrpc

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rhizome_xrpc_requests_total", Help: "XRPC requests by method and status.",
	}, []string{"method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rhizome_xrpc_request_seconds", Help: "XRPC request latency by method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method"})
	m.reg.MustRegister(m.requests, m.duration,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(nsid string, known bool, status int, d time.Duration) {
	if !known {
		nsid = "unknown" // do not let clients create label values
	}
	m.requests.WithLabelValues(nsid, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(nsid).Observe(d.Seconds())
}

// MetricsHandler serves the Prometheus metrics of the server.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}
