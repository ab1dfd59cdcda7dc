// Package dispatch holds the domain of volunteer care dispatch: requests,
// care addresses, teams, routes, their statuses and legal transitions, the
// events every change emits, and the use cases. It knows nothing of SQL or HTTP.
package dispatch

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in web.Error.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	// ETOOMANY refuses a request over a rate or resource limit (HTTP 429).
	ETOOMANY = "too_many_requests"
)

// Error is the one domain error. Message is safe to show to users, in
// English; Format and Args are what Message was made from, so the web layer
// can say it in the user's language (web/locale looks Format up in its
// catalogue). Field names the offending input field for EINVALID errors;
// Detail carries optional machine-readable context (for example the id of a
// duplicate request).
type Error struct {
	Code    string
	Message string
	Format  string
	Args    []any
	Field   string
	Detail  map[string]any
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the underlying cause so errors.Is/As see through Error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
// The format is the message's key in web/locale's catalogue: every literal
// format needs a kk and a ru entry there (TestCatalogue checks).
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Invalid returns an EINVALID error naming the field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Wrap sets e's cause and returns e, for Errorf(...).Wrap(err).
func (e *Error) Wrap(err error) *Error { e.Err = err; return e }

// WithDetail sets e's machine-readable members and returns e.
func (e *Error) WithDetail(d map[string]any) *Error { e.Detail = d; return e }

// Localized returns the message's key and arguments: Format and Args, or
// Message itself for an Error built without Errorf.
func (e *Error) Localized() (format string, args []any) {
	if e.Format != "" {
		return e.Format, e.Args
	}
	return e.Message, nil
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err, or a generic one for
// internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Internal error."
}

// Thing names a kind of record inside a message ("Route", "Care address").
// It is a word, not free text: web/locale translates it as "Thing.<name>".
type Thing string
