package main

import (
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

// TestRetainApplicationsConfig: QAMQOR_RETAIN_APPLICATIONS sets how long
// decided sign-up applications are kept (default 30 days, 0 keeps them),
// and a malformed value stops the start with the variable's name.
func TestRetainApplicationsConfig(t *testing.T) {
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention.Applications != 30*dispatch.Day {
		t.Errorf("default applications retention %v, want 30 days", cfg.Retention.Applications)
	}
	t.Setenv("QAMQOR_RETAIN_APPLICATIONS", "7d")
	if cfg, err = LoadConfig(); err != nil || cfg.Retention.Applications != 7*dispatch.Day {
		t.Errorf("7d: %v, %v", cfg.Retention.Applications, err)
	}
	t.Setenv("QAMQOR_RETAIN_APPLICATIONS", "0")
	if cfg, err = LoadConfig(); err != nil || cfg.Retention.Applications != 0 {
		t.Errorf("0: %v, %v", cfg.Retention.Applications, err)
	}
	t.Setenv("QAMQOR_RETAIN_APPLICATIONS", "a week")
	if _, err = LoadConfig(); err == nil {
		t.Errorf("a malformed retention is accepted")
	}
}
