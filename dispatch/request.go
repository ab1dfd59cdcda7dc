package dispatch

import (
	"context"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// RequestKind is what a resident asked for.
type RequestKind string

// Request kinds.
const (
	SnowClearing RequestKind = "snow_clearing"
	FoodDelivery RequestKind = "food_delivery"
	OtherKind    RequestKind = "other"
)

// Valid reports whether k is a known kind.
func (k RequestKind) Valid() bool {
	return k == SnowClearing || k == FoodDelivery || k == OtherKind
}

// Source is how a request entered the system.
type Source string

// Request sources.
const (
	SourceHotline   Source = "hotline"
	SourceCampaign  Source = "campaign"
	SourceRecurring Source = "recurring"
	SourceAPI       Source = "api"
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	return s == SourceHotline || s == SourceCampaign || s == SourceRecurring || s == SourceAPI
}

// Priority orders requests when not everything fits.
type Priority string

// Priorities, lowest first.
const (
	Normal Priority = "normal"
	High   Priority = "high"
	Urgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return p == Normal || p == High || p == Urgent }

// Rank is 0 for normal, 1 for high and 2 for urgent.
func (p Priority) Rank() int {
	switch p {
	case High:
		return 1
	case Urgent:
		return 2
	}
	return 0
}

// RequestStatus is where a request is in its life.
type RequestStatus string

// Request statuses.
const (
	StatusNew        RequestStatus = "new"
	StatusPlanned    RequestStatus = "planned"
	StatusAssigned   RequestStatus = "assigned"
	StatusInProgress RequestStatus = "in_progress"
	StatusDone       RequestStatus = "done"
	StatusFailed     RequestStatus = "failed"
	StatusCancelled  RequestStatus = "cancelled"
)

// requestTransitions lists the legal moves. A planned request can fall back to
// new when its draft route is discarded; an assigned one when its stop is
// removed from a published route; a failed visit (nobody home, no access) can
// be re-opened for another attempt. Done and cancelled are final.
var requestTransitions = map[RequestStatus][]RequestStatus{
	StatusNew:        {StatusPlanned, StatusAssigned, StatusCancelled},
	StatusPlanned:    {StatusNew, StatusAssigned, StatusCancelled},
	StatusAssigned:   {StatusNew, StatusPlanned, StatusInProgress, StatusDone, StatusFailed, StatusCancelled},
	StatusInProgress: {StatusDone, StatusFailed},
	StatusFailed:     {StatusNew, StatusCancelled},
	StatusDone:       nil,
	StatusCancelled:  nil,
}

// Valid reports whether s is a known status.
func (s RequestStatus) Valid() bool {
	_, ok := requestTransitions[s]
	return ok
}

// Open reports whether the request still awaits a visit (used by duplicate
// detection and the planner).
func (s RequestStatus) Open() bool {
	return s == StatusNew || s == StatusPlanned || s == StatusAssigned || s == StatusInProgress
}

// OpenStatuses are the statuses for which Open is true.
var OpenStatuses = []RequestStatus{StatusNew, StatusPlanned, StatusAssigned, StatusInProgress}

// CanTransition reports whether moving from s to next is legal.
func (s RequestStatus) CanTransition(next RequestStatus) bool {
	for _, t := range requestTransitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// Transition returns ECONFLICT when moving from s to next is illegal.
func (s RequestStatus) Transition(next RequestStatus) error {
	if !next.Valid() {
		return Invalid("status", "Unknown status %q.", next)
	}
	if !s.CanTransition(next) {
		return Errorf(ECONFLICT, "A request cannot go from %s to %s.", s, next)
	}
	return nil
}

// Request is one visit a resident needs: clear a yard, deliver a package.
type Request struct {
	ID               int64         `json:"id"`
	Version          Version       `json:"version"`
	Kind             RequestKind   `json:"kind"`
	CareAddressID    *int64        `json:"care_address_id,omitempty"`
	AddressText      string        `json:"address"`
	Location         orb.Point     `json:"-"`
	DistrictID       *int64        `json:"district_id,omitempty"`
	Source           Source        `json:"source"`
	Priority         Priority      `json:"priority"`
	WindowStart      *time.Time    `json:"window_start,omitempty"`
	WindowEnd        *time.Time    `json:"window_end,omitempty"`
	ServiceMinutes   int           `json:"service_minutes"`
	Packages         int           `json:"packages"`
	Notes            string        `json:"notes"`
	Status           RequestStatus `json:"status"`
	UnassignedReason string        `json:"unassigned_reason,omitempty"`
	CreatedBy        *int64        `json:"created_by,omitempty"`
	CreatedAt        time.Time     `json:"created_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
}

// RequestView is the wire form of a request: the request with its location
// as lat/lon (orb.Point has no JSON of its own here). API answers and event
// payloads both use it.
type RequestView struct {
	*Request
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// View returns the wire form of r.
func (r *Request) View() RequestView {
	return RequestView{Request: r, Lat: r.Location.Lat(), Lon: r.Location.Lon()}
}

// DuplicateRadiusM is how close an open request of the same kind must be to
// count as a duplicate.
const DuplicateRadiusM = 30.0

// MaxServiceMinutes bounds one visit.
const MaxServiceMinutes = 480

// RequestInput is what the hotline or the API submits.
type RequestInput struct {
	Kind           RequestKind `json:"kind"`
	CareAddressID  *int64      `json:"care_address_id"`
	AddressText    string      `json:"address"`
	Lat            *float64    `json:"lat"`
	Lon            *float64    `json:"lon"`
	Source         Source      `json:"source"`
	Priority       Priority    `json:"priority"`
	WindowStart    *time.Time  `json:"window_start"`
	WindowEnd      *time.Time  `json:"window_end"`
	ServiceMinutes int         `json:"service_minutes"`
	Packages       int         `json:"packages"`
	Notes          string      `json:"notes"`
	// Force creates the request even when a duplicate is open.
	Force bool `json:"force"`
	// IdempotencyKey makes a retried submission return the first result.
	IdempotencyKey string `json:"-"`
	// CampaignID links a request made by a campaign (set by use cases only).
	CampaignID *int64 `json:"-"`
	// APIKeyID is the Open311 key a request came in with (set by
	// Open311Input.RequestInput only).
	APIKeyID *int64 `json:"-"`
}

// ServiceArea is the rectangle Qamqor serves; points outside are refused.
type ServiceArea struct{ Bound orb.Bound }

// AstanaArea covers the city of Astana with its suburbs.
var AstanaArea = ServiceArea{Bound: orb.Bound{Min: orb.Point{71.15, 50.95}, Max: orb.Point{71.85, 51.40}}}

// Contains reports whether p lies in the area.
func (a ServiceArea) Contains(p orb.Point) bool { return a.Bound.Contains(p) }

// Normalize fills defaults and validates the input. It returns an EINVALID
// error naming the first bad field. A request for a care address may omit the
// location and address (the store takes them from the address).
func (in *RequestInput) Normalize(area ServiceArea) error {
	in.AddressText = strings.TrimSpace(in.AddressText)
	in.Notes = strings.TrimSpace(in.Notes)
	if in.Kind == "" {
		return Invalid("kind", "Kind is required (snow_clearing, food_delivery or other).")
	}
	if !in.Kind.Valid() {
		return Invalid("kind", "Unknown kind %q: use snow_clearing, food_delivery or other.", in.Kind)
	}
	if in.Source == "" {
		in.Source = SourceHotline
	}
	if !in.Source.Valid() {
		return Invalid("source", "Unknown source %q.", in.Source)
	}
	if in.Priority == "" {
		in.Priority = Normal
	}
	if !in.Priority.Valid() {
		return Invalid("priority", "Unknown priority %q: use normal, high or urgent.", in.Priority)
	}
	if in.CareAddressID == nil {
		if in.AddressText == "" {
			return Invalid("address", "Address is required when no care address is chosen.")
		}
		if in.Lat == nil || in.Lon == nil {
			return Invalid("lat", "A location (lat, lon) is required when no care address is chosen.")
		}
	} else if *in.CareAddressID <= 0 {
		return Invalid("care_address_id", "Care address id must be positive.")
	}
	if (in.Lat == nil) != (in.Lon == nil) {
		return Invalid("lon", "Give both lat and lon, or neither.")
	}
	if in.Lat != nil {
		if *in.Lat < -90 || *in.Lat > 90 || *in.Lon < -180 || *in.Lon > 180 {
			return Invalid("lat", "Coordinates are out of range.")
		}
		if !area.Contains(orb.Point{*in.Lon, *in.Lat}) {
			return Invalid("lat", "The point (%.5f, %.5f) is outside the service area.", *in.Lat, *in.Lon)
		}
	}
	if len(in.AddressText) > 500 {
		return Invalid("address", "Address is too long (500 characters at most).")
	}
	if len(in.Notes) > 2000 {
		return Invalid("notes", "Notes are too long (2000 characters at most).")
	}
	if in.ServiceMinutes == 0 {
		in.ServiceMinutes = defaultServiceMinutes(in.Kind)
	}
	if in.ServiceMinutes < 1 || in.ServiceMinutes > MaxServiceMinutes {
		return Invalid("service_minutes", "Service minutes must be between 1 and %d.", MaxServiceMinutes)
	}
	if in.Packages < 0 || in.Packages > 1000 {
		return Invalid("packages", "Packages must be between 0 and 1000.")
	}
	if in.Kind == FoodDelivery && in.Packages == 0 {
		in.Packages = 1
	}
	if (in.WindowStart == nil) != (in.WindowEnd == nil) {
		return Invalid("window_end", "Give both window_start and window_end, or neither.")
	}
	if in.WindowStart != nil && !in.WindowEnd.After(*in.WindowStart) {
		return Invalid("window_end", "The time window ends before it starts.")
	}
	if len(in.IdempotencyKey) > 200 {
		return Invalid("Idempotency-Key", "Idempotency key is too long (200 characters at most).")
	}
	return nil
}

func defaultServiceMinutes(k RequestKind) int {
	switch k {
	case SnowClearing:
		return 30
	case FoodDelivery:
		return 10
	}
	return 20
}

// RequestFilter selects requests; zero fields match everything.
type RequestFilter struct {
	IDs           []int64
	Statuses      []RequestStatus
	Kinds         []RequestKind
	DistrictIDs   []int64
	CareAddressID *int64
	TeamID        *int64 // only requests on this team's routes
	Bound         *orb.Bound
	Offset, Limit int
}

// RequestStore persists requests. Every change writes its event in the same
// transaction.
type RequestStore interface {
	// CreateRequest stores a validated request. With an idempotency key seen
	// before it returns the first request and created=false. An open request
	// of the same kind for the same care address or within DuplicateRadiusM
	// gives ECONFLICT with Detail["duplicate_id"], unless in.Force.
	CreateRequest(ctx context.Context, actor *User, in RequestInput) (r *Request, created bool, err error)
	// FindRequestByID returns ENOTFOUND when there is no such request.
	FindRequestByID(ctx context.Context, id int64) (*Request, error)
	// FindRequests returns the matching page and the total count.
	FindRequests(ctx context.Context, f RequestFilter) ([]*Request, int, error)
	// FindDuplicates lists open requests of kind near pt or for careAddressID.
	FindDuplicates(ctx context.Context, kind RequestKind, careAddressID *int64, pt *orb.Point) ([]*Request, error)
	// SetRequestStatus moves a request, enforcing RequestStatus.Transition;
	// ECONFLICT when illegal, ENOTFOUND when missing.
	// expect, when not 0, must be the request's current Version
	// (EPRECONDITION otherwise).
	SetRequestStatus(ctx context.Context, actor *User, id int64, next RequestStatus, expect Version) (*Request, error)
}
