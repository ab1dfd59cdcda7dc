package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/qamqor/qamqor/dispatch"
)

// Metrics are the Prometheus series of one server process. They are served
// by MetricsHandler on a separate address (QAMQOR_METRICS_ADDR), never on
// the public one. Build them with NewMetrics and pass them in Services.
//
// Series (all prefixed qamqor_):
//   - http_requests_total{method,route,status} and
//     http_request_duration_seconds{method,route,status}: route is chi's
//     pattern ("/api/requests/{id}"), so ids do not explode the series;
//     "unmatched" for 404s outside every route.
//   - ws_clients: live WebSocket connections; ws_delivery_lag_seconds: from
//     an event's commit (its created_at) to its fan-out to the sockets;
//     events_total{type}: events fanned out (rate() gives events/s).
//   - planning_jobs_total{outcome} and planning_job_duration_seconds{outcome}
//     (done, failed), read from planning_jobs at scrape time, so they cover
//     the jobs of every instance.
//   - queue_depth{queue}: messages and jobs waiting (telegram, webhook,
//     planning...), read at scrape time.
//   - db_pool_connections{state} (acquired, idle, constructing, total, max),
//     db_pool_acquires_total, db_pool_acquire_wait_seconds_total,
//     db_pool_empty_acquires_total.
//   - the Go runtime and process collectors (go_*, process_*).
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	wsLag    prometheus.Histogram
	events   *prometheus.CounterVec
	wsCount  func() int
}

// MetricsSource reads the figures that live in the database at scrape
// time. Implemented by dispatch/postgres.DB.
type MetricsSource interface {
	// PlanningJobStats returns, per outcome (done, failed), how many jobs
	// finished, their total duration and the cumulative counts under each
	// of bounds (seconds).
	PlanningJobStats(ctx context.Context, bounds []float64) ([]dispatch.JobStats, error)
	// QueueDepths returns how many items wait in each queue.
	QueueDepths(ctx context.Context) (map[string]int64, error)
}

// PoolStats are the database pool's figures (pgxpool.Stat, as plain
// numbers so web needs no pgx).
type PoolStats struct {
	Acquired, Idle, Constructing, Total, Max int32
	Acquires, EmptyAcquires                  int64
	AcquireWait                              time.Duration
}

// planningBounds are the histogram buckets of planning job durations: a
// day's plan takes seconds to a few minutes.
var planningBounds = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600}

// NewMetrics registers every series. src and pool may be nil (their series
// are then absent).
func NewMetrics(src MetricsSource, pool func() PoolStats) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qamqor_http_requests_total", Help: "HTTP requests served, by method, chi route pattern and status.",
	}, []string{"method", "route", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "qamqor_http_request_duration_seconds", Help: "HTTP request latency, by method, chi route pattern and status.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "route", "status"})
	m.wsLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "qamqor_ws_delivery_lag_seconds", Help: "From an event's commit to its fan-out to the WebSocket clients.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qamqor_events_total", Help: "Events fanned out by the live hub, by type; rate() gives events per second.",
	}, []string{"type"})
	m.reg.MustRegister(m.requests, m.duration, m.wsLag, m.events,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "qamqor_ws_clients", Help: "Live WebSocket connections.",
	}, func() float64 {
		if m.wsCount == nil {
			return 0
		}
		return float64(m.wsCount())
	}))
	if src != nil {
		m.reg.MustRegister(&dbCollector{src: src})
	}
	if pool != nil {
		m.reg.MustRegister(&poolCollector{stat: pool})
	}
	return m
}

// MetricsHandler serves the metrics in the Prometheus text format.
func (m *Metrics) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// instrument counts and times every request by its chi route pattern. It
// sits first on the root router, so the pattern is complete when the
// handler returns.
func (m *Metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				route = routeLabel(p)
			}
		}
		st := ww.Status()
		if st == 0 {
			st = http.StatusOK
		}
		labels := prometheus.Labels{"method": r.Method, "route": route, "status": strconv.Itoa(st)}
		m.requests.With(labels).Inc()
		m.duration.With(labels).Observe(time.Since(start).Seconds())
	})
}

// observeFanOut records events the hub fans out: their count by type and
// their lag since commit.
func (m *Metrics) observeFanOut(evs []dispatch.Event) {
	now := time.Now()
	for i := range evs {
		m.events.WithLabelValues(evs[i].Type).Inc()
		if !evs[i].CreatedAt.IsZero() {
			m.wsLag.Observe(max(now.Sub(evs[i].CreatedAt).Seconds(), 0))
		}
	}
}

var (
	planJobsDesc = prometheus.NewDesc("qamqor_planning_jobs_total", "Planning jobs finished, by outcome (done, failed).", []string{"outcome"}, nil)
	planDurDesc  = prometheus.NewDesc("qamqor_planning_job_duration_seconds", "How long finished planning jobs ran, by outcome.", []string{"outcome"}, nil)
	queueDesc    = prometheus.NewDesc("qamqor_queue_depth", "Items waiting in each queue (outboxes, jobs).", []string{"queue"}, nil)
	scrapeErr    = prometheus.NewDesc("qamqor_metrics_db_errors_total", "Scrapes whose database figures could not be read.", nil, nil)
)

// dbCollector reads planning jobs and queue depths at scrape time.
type dbCollector struct {
	src    MetricsSource
	errors atomic.Int64
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- planJobsDesc
	ch <- planDurDesc
	ch <- queueDesc
	ch <- scrapeErr
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := c.src.PlanningJobStats(ctx, planningBounds)
	if err == nil {
		for _, s := range stats {
			ch <- prometheus.MustNewConstMetric(planJobsDesc, prometheus.CounterValue, float64(s.Count), s.Outcome)
			ch <- prometheus.MustNewConstHistogram(planDurDesc, s.Count, s.SumSeconds, s.Buckets, s.Outcome)
		}
	} else {
		c.errors.Add(1)
	}
	depths, err := c.src.QueueDepths(ctx)
	if err == nil {
		for q, n := range depths {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), q)
		}
	} else {
		c.errors.Add(1)
	}
	ch <- prometheus.MustNewConstMetric(scrapeErr, prometheus.CounterValue, float64(c.errors.Load()))
}

var (
	poolConnsDesc   = prometheus.NewDesc("qamqor_db_pool_connections", "Database pool connections by state.", []string{"state"}, nil)
	poolAcqDesc     = prometheus.NewDesc("qamqor_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil)
	poolEmptyDesc   = prometheus.NewDesc("qamqor_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", nil, nil)
	poolWaitingDesc = prometheus.NewDesc("qamqor_db_pool_acquire_wait_seconds_total", "Time spent waiting for pool connections.", nil, nil)
)

type poolCollector struct{ stat func() PoolStats }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConnsDesc
	ch <- poolAcqDesc
	ch <- poolEmptyDesc
	ch <- poolWaitingDesc
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	for state, v := range map[string]int32{"acquired": s.Acquired, "idle": s.Idle, "constructing": s.Constructing, "total": s.Total, "max": s.Max} {
		ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(v), state)
	}
	ch <- prometheus.MustNewConstMetric(poolAcqDesc, prometheus.CounterValue, float64(s.Acquires))
	ch <- prometheus.MustNewConstMetric(poolEmptyDesc, prometheus.CounterValue, float64(s.EmptyAcquires))
	ch <- prometheus.MustNewConstMetric(poolWaitingDesc, prometheus.CounterValue, s.AcquireWait.Seconds())
}

// routeLabel is a chi pattern as one label: a sub-router's index route
// ("/api/requests/") and the plain path name the same route.
func routeLabel(p string) string {
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}
