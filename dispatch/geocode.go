package dispatch

import (
	"context"

	"github.com/paulmach/orb"
)

// Candidate is one answer of address search.
type Candidate struct {
	// Kind is care_address, house, street or crossing.
	Kind  string  `json:"kind"`
	ID    int64   `json:"id"`
	Label string  `json:"label"`
	Lat   float64 `json:"lat"`
	Lon   float64 `json:"lon"`
	// Score is the similarity in [0,1]; higher is better.
	Score float64 `json:"score"`
	// CareAddressID is set for registered pensioners.
	CareAddressID *int64 `json:"care_address_id,omitempty"`
	// Name and Phone are set for care addresses, to roles that may see them.
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	// DistanceM is set by reverse search.
	DistanceM *float64 `json:"distance_m,omitempty"`
}

// Point returns the candidate's location.
func (c Candidate) Point() orb.Point { return orb.Point{c.Lon, c.Lat} }

// Geocoder searches addresses.
type Geocoder interface {
	// Geocode returns up to limit candidates for q, registered care addresses
	// first when they match well. Personal data is included only when actor
	// may view it, and every care address returned is audited as read.
	Geocode(ctx context.Context, actor *User, q string, limit int) ([]Candidate, error)
	// Reverse returns the nearest gazetteer house or care address to pt
	// within maxM metres, or ENOTFOUND.
	Reverse(ctx context.Context, actor *User, pt orb.Point, maxM float64) (*Candidate, error)
}
