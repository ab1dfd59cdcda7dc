package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

// errDBDown stands for a store error that means the database is unreachable.
var errDBDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

// While the database is unreachable the API answers 503 with Retry-After and
// a problem (not 500), and /readyz fails with Retry-After; errors that are
// not outages stay 500.
func TestDatabaseOutage(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Unavailable = func(err error) bool { return errors.Is(err, errDBDown) }
	ts.Requests.FindRequestByIDFn = func(ctx context.Context, id int64) (*dispatch.Request, error) {
		return nil, fmt.Errorf("find request id=%d: %w", id, errDBDown)
	}
	w := ts.do(t, call{Method: "GET", Path: "/api/requests/1", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("Code=%d, want 503; body %s", w.Code, w.Body)
	}
	if got := w.Header().Get("Retry-After"); got != outageRetryAfter {
		t.Errorf("Retry-After=%q, want %q", got, outageRetryAfter)
	}
	p := problemOf(t, w)
	if p["code"] != codeUnavailable {
		t.Errorf("code=%v, want %s", p["code"], codeUnavailable)
	}

	ts.Ready = func(ctx context.Context) error { return errDBDown }
	w = ts.do(t, call{Method: "GET", Path: "/readyz"})
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("readyz Code=%d Retry-After=%q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}

	ts.Requests.FindRequestByIDFn = func(ctx context.Context, id int64) (*dispatch.Request, error) {
		return nil, errors.New("a bug")
	}
	if w := ts.do(t, call{Method: "GET", Path: "/api/requests/1", Role: dispatch.RoleDispatcher}); w.Code != http.StatusInternalServerError {
		t.Fatalf("a bug: Code=%d, want 500", w.Code)
	}
}
