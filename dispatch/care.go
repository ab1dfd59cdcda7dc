package dispatch

import (
	"context"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// CareAddress is a lone pensioner Qamqor looks after: where they live, what
// they need, how to get in. Name, phone and flat are personal data: shown only
// to roles with ActViewPersonal and every read or change is audited.
type CareAddress struct {
	ID                int64     `json:"id"`
	Version           Version   `json:"version"`
	FullName          string    `json:"full_name,omitempty"`
	Phone             string    `json:"phone,omitempty"`
	AddressText       string    `json:"address"`
	Entrance          string    `json:"entrance,omitempty"`
	Floor             string    `json:"floor,omitempty"`
	Flat              string    `json:"flat,omitempty"`
	Location          orb.Point `json:"-"`
	DistrictID        *int64    `json:"district_id,omitempty"`
	PreferredLanguage string    `json:"preferred_language"`
	Needs             []string  `json:"needs"`
	Immobile          bool      `json:"immobile"`
	MobilityNotes     string    `json:"mobility_notes,omitempty"`
	AccessNotes       string    `json:"access_notes,omitempty"`
	Consent           bool      `json:"consent"`
	Active            bool      `json:"active"`
	// ExternalID is the id in the HQ's own list, set by imports; "" for none.
	ExternalID string    `json:"external_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Needs a care address can have.
const (
	NeedSnow = "snow"
	NeedFood = "food"
)

// Redacted returns a copy without personal data, for roles that may not see it.
func (c CareAddress) Redacted() CareAddress {
	c.FullName, c.Phone, c.Flat, c.MobilityNotes = "", "", "", ""
	return c
}

// FirstName returns the first word of the full name after the surname
// (names are stored "Surname Name Patronymic"), for team leads.
func (c CareAddress) FirstName() string {
	parts := strings.Fields(c.FullName)
	if len(parts) >= 2 {
		return parts[1]
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return ""
}

// Organisation is the headquarters, a volunteer organisation, an initiative
// group or an NGO.
type Organisation struct {
	ID      int64   `json:"id"`
	Version Version `json:"version"`
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	Phone   string  `json:"phone,omitempty"`
}

// Organisation kinds.
var OrganisationKinds = []string{"headquarters", "volunteer_org", "initiative_group", "ngo"}

// Volunteer is one person in a team.
type Volunteer struct {
	ID             int64    `json:"id"`
	Version        Version  `json:"version"`
	FullName       string   `json:"full_name"`
	BirthYear      int      `json:"birth_year"`
	Languages      []string `json:"languages"`
	Phone          string   `json:"phone,omitempty"`
	OrganisationID int64    `json:"organisation_id"`
	Active         bool     `json:"active"`
	// ExternalID is the id in the organisation's own list; "" for none.
	ExternalID string `json:"external_id,omitempty"`
}

// AdultAge is the age from which a volunteer counts as an adult.
const AdultAge = 18

// Minor reports whether the volunteer is under AdultAge in the year of now.
// With only a birth year known, a volunteer turning 18 this year counts as an
// adult from January.
func (v Volunteer) Minor(now time.Time) bool {
	return now.Year()-v.BirthYear < AdultAge
}

// Team is a group of volunteers that goes out together.
type Team struct {
	ID               int64     `json:"id"`
	Version          Version   `json:"version"`
	Name             string    `json:"name"`
	OrganisationID   int64     `json:"organisation_id"`
	LeadVolunteerID  *int64    `json:"lead_volunteer_id,omitempty"`
	Base             orb.Point `json:"-"`
	HasVehicle       bool      `json:"has_vehicle"`
	CapacityPackages int       `json:"capacity_packages"`
	Skills           []string  `json:"skills"`
	Languages        []string  `json:"languages"`
	ShiftStart       string    `json:"shift_start"` // "09:00", local time
	ShiftEnd         string    `json:"shift_end"`
	Color            string    `json:"color"`
	Active           bool      `json:"active"`
	MemberIDs        []int64   `json:"member_ids"`
	// ExternalID is the id in the organisation's own list; "" for none.
	ExternalID string `json:"external_id,omitempty"`
}

// AuditAction is what was done to personal data.
type AuditAction string

// Audit actions.
const (
	AuditRead   AuditAction = "read"
	AuditCreate AuditAction = "create"
	AuditUpdate AuditAction = "update"
	AuditDelete AuditAction = "delete"
)

// CareStore keeps care addresses. Reads and changes through it are audited
// with the acting user.
type CareStore interface {
	// FindCareAddressByID returns ENOTFOUND when missing; audited as a read.
	FindCareAddressByID(ctx context.Context, actor *User, id int64) (*CareAddress, error)
	// CreateCareAddress stores c and fills its ID; audited.
	CreateCareAddress(ctx context.Context, actor *User, c *CareAddress) error
}
