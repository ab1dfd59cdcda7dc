package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/web"
)

// Config is read once from the environment; values are passed down explicitly.
type Config struct {
	DatabaseURL string        // DATABASE_URL
	Addr        string        // QAMQOR_ADDR, default :8080
	PublicURL   string        // QAMQOR_PUBLIC_URL, used for Origin checks and printed links
	TileURL     string        // QAMQOR_TILE_URL, the map tile template
	SessionTTL  time.Duration // QAMQOR_SESSION_TTL
	SnapLimitM  float64       // QAMQOR_SNAP_LIMIT_M, beyond it a point is refused
	GraphFile   string        // QAMQOR_GRAPH, an .osm.pbf to load when the database has no graph
	// TrustedProxies (QAMQOR_TRUSTED_PROXIES, comma-separated IPs or CIDR
	// prefixes) are the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []string

	// DBMaxConns sizes the pool (QAMQOR_DB_MAX_CONNS). The default 24
	// covers the live hub (1), River's listener and leader (2), each job
	// worker (default queue 4 and planning 1, two connections each: the
	// work and its liveness lock) and the HTTP requests in flight.
	DBMaxConns int32
	// DBStatementTimeout (QAMQOR_DB_STATEMENT_TIMEOUT) cancels a runaway
	// statement; DBLockTimeout (QAMQOR_DB_LOCK_TIMEOUT) fails a statement
	// that waits on a lock that long instead of queueing forever.
	DBStatementTimeout time.Duration
	DBLockTimeout      time.Duration
	// ShutdownTimeout (QAMQOR_SHUTDOWN_TIMEOUT) is how long SIGTERM waits for
	// running jobs before cancelling them (they run again elsewhere or on
	// the next start).
	ShutdownTimeout time.Duration
	// PlanWorkers (QAMQOR_PLAN_WORKERS) is how many plans one instance
	// solves at once.
	PlanWorkers int
	// SigningSeed is the Ed25519 seed certificates are signed with
	// (QAMQOR_SIGNING_KEY, 32 bytes in base64); empty means a key generated
	// and stored in the database on first use. Never logged.
	SigningSeed []byte
	MetricsAddr string // QAMQOR_METRICS_ADDR, where /metrics is served; empty: off
	// Retention (QAMQOR_RETAIN_POSITIONS, _NOTES, _AUDIT, _EVENTS,
	// _APPLICATIONS: e.g. 30d, 720h, 0 = keep) is how long personal data
	// is kept; the purge job removes what is older.
	Retention dispatch.Retention
}

// DefaultDatabaseURL is the database `make db` creates.
const DefaultDatabaseURL = "postgres://qamqor:qamqor@localhost:5432/qamqor?sslmode=disable"

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		DatabaseURL: DefaultDatabaseURL,
		Addr:        ":8080",
		TileURL:     "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
		SessionTTL:  12 * time.Hour,
		SnapLimitM:  500,
		Retention:   dispatch.DefaultRetention(),

		DBMaxConns:         24,
		DBStatementTimeout: 60 * time.Second,
		DBLockTimeout:      10 * time.Second,
		ShutdownTimeout:    20 * time.Second,
		PlanWorkers:        1,
	}
}

// LoadConfig reads the environment over Defaults and validates the result.
func LoadConfig() (Config, error) {
	c := Defaults()
	str := func(name string, dst *string) {
		if v := os.Getenv(name); v != "" {
			*dst = v
		}
	}
	str("DATABASE_URL", &c.DatabaseURL)
	str("QAMQOR_ADDR", &c.Addr)
	str("QAMQOR_PUBLIC_URL", &c.PublicURL)
	str("QAMQOR_TILE_URL", &c.TileURL)
	str("QAMQOR_GRAPH", &c.GraphFile)
	str("QAMQOR_METRICS_ADDR", &c.MetricsAddr)
	if v := os.Getenv("QAMQOR_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			pfx, err := web.ParseTrustedProxy(p)
			if err != nil {
				return c, fmt.Errorf("QAMQOR_TRUSTED_PROXIES: %w", err)
			}
			c.TrustedProxies = append(c.TrustedProxies, pfx)
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"QAMQOR_RETAIN_POSITIONS", &c.Retention.Positions},
		{"QAMQOR_RETAIN_NOTES", &c.Retention.RequestNotes},
		{"QAMQOR_RETAIN_AUDIT", &c.Retention.Audit},
		{"QAMQOR_RETAIN_EVENTS", &c.Retention.Events},
		{"QAMQOR_RETAIN_APPLICATIONS", &c.Retention.Applications},
	} {
		if v := os.Getenv(d.name); v != "" {
			p, err := dispatch.ParseRetention(v)
			if err != nil {
				return c, fmt.Errorf("%s: %w", d.name, err)
			}
			*d.dst = p
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"QAMQOR_SESSION_TTL", &c.SessionTTL},
		{"QAMQOR_DB_STATEMENT_TIMEOUT", &c.DBStatementTimeout},
		{"QAMQOR_DB_LOCK_TIMEOUT", &c.DBLockTimeout},
		{"QAMQOR_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
	} {
		if v := os.Getenv(d.name); v != "" {
			p, err := time.ParseDuration(v)
			if err != nil {
				return c, fmt.Errorf("%s: %w", d.name, err)
			}
			*d.dst = p
		}
	}
	if v := os.Getenv("QAMQOR_DB_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return c, fmt.Errorf("QAMQOR_DB_MAX_CONNS: %w", err)
		}
		c.DBMaxConns = int32(n)
	}
	if v := os.Getenv("QAMQOR_PLAN_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("QAMQOR_PLAN_WORKERS: %w", err)
		}
		c.PlanWorkers = n
	}
	if v := os.Getenv("QAMQOR_SNAP_LIMIT_M"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return c, fmt.Errorf("QAMQOR_SNAP_LIMIT_M: %w", err)
		}
		c.SnapLimitM = f
	}
	if v := os.Getenv("QAMQOR_SIGNING_KEY"); v != "" {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(seed) != ed25519.SeedSize {
			return c, fmt.Errorf("QAMQOR_SIGNING_KEY must be %d bytes in base64 (e.g. from: head -c32 /dev/urandom | base64)", ed25519.SeedSize)
		}
		c.SigningSeed = seed
	}
	return c, c.Validate()
}

// Validate checks combinations of options.
func (c Config) Validate() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is empty")
	}
	if c.SessionTTL < time.Minute {
		return fmt.Errorf("QAMQOR_SESSION_TTL must be at least 1m")
	}
	if c.SnapLimitM <= 0 {
		return fmt.Errorf("QAMQOR_SNAP_LIMIT_M must be positive")
	}
	if c.PlanWorkers < 1 {
		return fmt.Errorf("QAMQOR_PLAN_WORKERS must be at least 1")
	}
	// Below this the hub, River and the job workers leave HTTP nothing.
	if need := c.MinDBConns(); c.DBMaxConns < need+4 {
		return fmt.Errorf("QAMQOR_DB_MAX_CONNS must be at least %d (the hub, the job queue and %d plan workers hold %d; HTTP needs a few more)", need+4, c.PlanWorkers, need)
	}
	if c.DBStatementTimeout < 0 || c.DBLockTimeout < 0 || c.ShutdownTimeout < 0 {
		return fmt.Errorf("timeouts must not be negative")
	}
	return nil
}

// MinDBConns is what the server holds besides HTTP requests: the hub's
// reads, River's listener and leader, and two connections per job worker
// (4 default-queue workers plus the plan workers).
func (c Config) MinDBConns() int32 {
	return 1 + 2 + 2*int32(4+c.PlanWorkers)
}
