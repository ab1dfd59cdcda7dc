// Package mock implements the dispatch service interfaces with function
// fields, one per method, so tests set only the behaviour they need. Calling
// a method whose field is nil panics, which points straight at the missing
// set-up.
package mock

import (
	"context"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
)

var (
	_ dispatch.AuthStore    = (*AuthStore)(nil)
	_ dispatch.RequestStore = (*RequestStore)(nil)
	_ dispatch.CareStore    = (*CareStore)(nil)
	_ dispatch.Geocoder     = (*Geocoder)(nil)
)

// AuthStore is a mock dispatch.AuthStore.
type AuthStore struct {
	AuthenticateFn  func(ctx context.Context, username, password string) (*dispatch.User, error)
	CreateSessionFn func(ctx context.Context, userID int64, ttl time.Duration) (string, *dispatch.Session, error)
	FindSessionFn   func(ctx context.Context, token string) (*dispatch.Session, error)
	DeleteSessionFn func(ctx context.Context, token string) error
	LiveSessionsFn  func(ctx context.Context, tokens []string) (map[string]*dispatch.User, error)
	CreateUserFn    func(ctx context.Context, u *dispatch.User, password string) error
}

// Authenticate calls AuthenticateFn.
func (s *AuthStore) Authenticate(ctx context.Context, username, password string) (*dispatch.User, error) {
	return s.AuthenticateFn(ctx, username, password)
}

// CreateSession calls CreateSessionFn.
func (s *AuthStore) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, *dispatch.Session, error) {
	return s.CreateSessionFn(ctx, userID, ttl)
}

// FindSession calls FindSessionFn.
func (s *AuthStore) FindSession(ctx context.Context, token string) (*dispatch.Session, error) {
	return s.FindSessionFn(ctx, token)
}

// DeleteSession calls DeleteSessionFn.
func (s *AuthStore) DeleteSession(ctx context.Context, token string) error {
	return s.DeleteSessionFn(ctx, token)
}

// LiveSessions calls LiveSessionsFn.
func (s *AuthStore) LiveSessions(ctx context.Context, tokens []string) (map[string]*dispatch.User, error) {
	return s.LiveSessionsFn(ctx, tokens)
}

// CreateUser calls CreateUserFn.
func (s *AuthStore) CreateUser(ctx context.Context, u *dispatch.User, password string) error {
	return s.CreateUserFn(ctx, u, password)
}

// RequestStore is a mock dispatch.RequestStore.
type RequestStore struct {
	CreateRequestFn    func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error)
	FindRequestByIDFn  func(ctx context.Context, id int64) (*dispatch.Request, error)
	FindRequestsFn     func(ctx context.Context, f dispatch.RequestFilter) ([]*dispatch.Request, int, error)
	FindDuplicatesFn   func(ctx context.Context, kind dispatch.RequestKind, careAddressID *int64, pt *orb.Point) ([]*dispatch.Request, error)
	SetRequestStatusFn func(ctx context.Context, actor *dispatch.User, id int64, next dispatch.RequestStatus, expect dispatch.Version) (*dispatch.Request, error)
}

// CreateRequest calls CreateRequestFn.
func (s *RequestStore) CreateRequest(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
	return s.CreateRequestFn(ctx, actor, in)
}

// FindRequestByID calls FindRequestByIDFn.
func (s *RequestStore) FindRequestByID(ctx context.Context, id int64) (*dispatch.Request, error) {
	return s.FindRequestByIDFn(ctx, id)
}

// FindRequests calls FindRequestsFn.
func (s *RequestStore) FindRequests(ctx context.Context, f dispatch.RequestFilter) ([]*dispatch.Request, int, error) {
	return s.FindRequestsFn(ctx, f)
}

// FindDuplicates calls FindDuplicatesFn.
func (s *RequestStore) FindDuplicates(ctx context.Context, kind dispatch.RequestKind, careAddressID *int64, pt *orb.Point) ([]*dispatch.Request, error) {
	return s.FindDuplicatesFn(ctx, kind, careAddressID, pt)
}

// SetRequestStatus calls SetRequestStatusFn.
func (s *RequestStore) SetRequestStatus(ctx context.Context, actor *dispatch.User, id int64, next dispatch.RequestStatus, expect dispatch.Version) (*dispatch.Request, error) {
	return s.SetRequestStatusFn(ctx, actor, id, next, expect)
}

// CareStore is a mock dispatch.CareStore.
type CareStore struct {
	FindCareAddressByIDFn func(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.CareAddress, error)
	CreateCareAddressFn   func(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error
}

// FindCareAddressByID calls FindCareAddressByIDFn.
func (s *CareStore) FindCareAddressByID(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.CareAddress, error) {
	return s.FindCareAddressByIDFn(ctx, actor, id)
}

// CreateCareAddress calls CreateCareAddressFn.
func (s *CareStore) CreateCareAddress(ctx context.Context, actor *dispatch.User, c *dispatch.CareAddress) error {
	return s.CreateCareAddressFn(ctx, actor, c)
}

// Geocoder is a mock dispatch.Geocoder.
type Geocoder struct {
	GeocodeFn func(ctx context.Context, actor *dispatch.User, q string, limit int) ([]dispatch.Candidate, error)
	ReverseFn func(ctx context.Context, actor *dispatch.User, pt orb.Point, maxM float64) (*dispatch.Candidate, error)
}

// Geocode calls GeocodeFn.
func (g *Geocoder) Geocode(ctx context.Context, actor *dispatch.User, q string, limit int) ([]dispatch.Candidate, error) {
	return g.GeocodeFn(ctx, actor, q, limit)
}

// Reverse calls ReverseFn.
func (g *Geocoder) Reverse(ctx context.Context, actor *dispatch.User, pt orb.Point, maxM float64) (*dispatch.Candidate, error) {
	return g.ReverseFn(ctx, actor, pt, maxM)
}
