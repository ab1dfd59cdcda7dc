package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports whether err means the database cannot be reached
// right now (refused or lost connections, a server shutting down or
// starting up), as opposed to a bug or a refused request: the web layer
// answers such errors 503 with Retry-After instead of 500. The pool makes
// new connections on the next request, so nothing needs restarting when
// the database returns.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down, crashed or not yet accepting connections. 55P03
		// (lock_timeout) and 57014 (statement_timeout) mean the database
		// is too busy to answer in time: also "try again shortly".
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "55P03", "57014":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return true
	}
	// A connection that died under a query says "conn closed".
	if pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") {
		return true
	}
	// The pool could not get a connection before the request's deadline:
	// with a reachable database that is a full pool, which also merits a
	// "try again shortly".
	return errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "acquire")
}
