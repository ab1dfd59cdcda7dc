package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

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
	if v := os.Getenv("QAMQOR_SESSION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("QAMQOR_SESSION_TTL: %w", err)
		}
		c.SessionTTL = d
	}
	if v := os.Getenv("QAMQOR_SNAP_LIMIT_M"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return c, fmt.Errorf("QAMQOR_SNAP_LIMIT_M: %w", err)
		}
		c.SnapLimitM = f
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
	return nil
}
