package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/web"
)

// newMetrics builds the Prometheus series when QAMQOR_METRICS_ADDR is set;
// nil otherwise (metrics off).
func newMetrics(cfg Config, db *postgres.DB) *web.Metrics {
	if cfg.MetricsAddr == "" {
		return nil
	}
	return web.NewMetrics(db, func() web.PoolStats {
		s := db.Pool().Stat()
		return web.PoolStats{Acquired: s.AcquiredConns(), Idle: s.IdleConns(), Constructing: s.ConstructingConns(),
			Total: s.TotalConns(), Max: s.MaxConns(), Acquires: s.AcquireCount(), EmptyAcquires: s.EmptyAcquireCount(),
			AcquireWait: s.AcquireDuration()}
	})
}

// serveMetrics serves GET /metrics on its own address until ctx ends. It
// is a separate listener so the metrics are never public by accident.
func serveMetrics(ctx context.Context, addr string, m *web.Metrics, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics addr=%s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("Metrics at %s/metrics\n", listenURL(ln.Addr()))
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}
