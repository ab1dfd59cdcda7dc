package dispatch

import (
	"context"
	"strings"
	"time"
)

// CampaignKind is what a campaign brings to every care address it covers.
type CampaignKind string

// Campaign kinds.
const (
	CampaignSnowfall CampaignKind = "snowfall"
	CampaignFood     CampaignKind = "food"
)

// Valid reports whether k is a known kind.
func (k CampaignKind) Valid() bool { return k == CampaignSnowfall || k == CampaignFood }

// RequestKind is the kind of the requests the campaign creates.
func (k CampaignKind) RequestKind() RequestKind {
	if k == CampaignFood {
		return FoodDelivery
	}
	return SnowClearing
}

// Need is the care address need the campaign serves.
func (k CampaignKind) Need() string {
	if k == CampaignFood {
		return NeedFood
	}
	return NeedSnow
}

// HeavySnowfallCM is the snowfall from which immobile pensioners' yards are
// urgent: 10 cm blocks a door and a path that someone on a walker cannot
// clear or cross.
const HeavySnowfallCM = 10

// CampaignPriority is the priority of a campaign request for one address.
// Immobile pensioners go first: high, and urgent after a heavy snowfall
// (snowfall_cm >= HeavySnowfallCM). Everyone else is normal.
func CampaignPriority(kind CampaignKind, snowfallCM float64, immobile bool) Priority {
	if !immobile {
		return Normal
	}
	if kind == CampaignSnowfall && snowfallCM >= HeavySnowfallCM {
		return Urgent
	}
	return High
}

// Campaign is one city-wide action: after a snowfall, clear the yards of
// every pensioner who needs it; on a distribution day, deliver food.
type Campaign struct {
	ID                 int64        `json:"id"`
	Kind               CampaignKind `json:"kind"`
	Title              string       `json:"title"`
	Day                string       `json:"day"` // YYYY-MM-DD
	SnowfallCM         *float64     `json:"snowfall_cm,omitempty"`
	PackagesPerAddress int          `json:"packages_per_address,omitempty"`
	DistrictIDs        []int64      `json:"district_ids"`
	RequestsCreated    int          `json:"requests_created"`
	CreatedBy          *int64       `json:"created_by,omitempty"`
	CreatedAt          time.Time    `json:"created_at"`
	// Created is how many requests the last run made (0 on a re-run).
	Created int `json:"created"`
}

// CampaignInput opens a campaign.
type CampaignInput struct {
	Kind               CampaignKind `json:"kind"`
	Title              string       `json:"title"`
	Day                string       `json:"day"`
	SnowfallCM         *float64     `json:"snowfall_cm"`
	PackagesPerAddress int          `json:"packages_per_address"`
	// DistrictIDs limits the campaign; empty means the whole city.
	DistrictIDs    []int64 `json:"district_ids"`
	IdempotencyKey string  `json:"-"`
}

// Normalize validates the input against today's date (now) and fills the
// title. The store checks packages against team capacity.
func (in *CampaignInput) Normalize(now time.Time) error {
	in.Title = strings.TrimSpace(in.Title)
	if in.Kind == "" {
		return Invalid("kind", "Kind is required: snowfall or food.")
	}
	if !in.Kind.Valid() {
		return Invalid("kind", "Unknown campaign kind %q: use snowfall or food.", in.Kind)
	}
	day, err := ParseLocalDate("day", in.Day)
	if err != nil {
		return err
	}
	if LocalDate(day) < LocalDate(now) {
		return Invalid("day", "The day %s is in the past.", in.Day)
	}
	if day.After(now.AddDate(1, 0, 0)) {
		return Invalid("day", "The day %s is more than a year away.", in.Day)
	}
	switch in.Kind {
	case CampaignSnowfall:
		if in.SnowfallCM == nil {
			return Invalid("snowfall_cm", "snowfall_cm is required for a snowfall campaign.")
		}
		if *in.SnowfallCM <= 0 || *in.SnowfallCM > 300 {
			return Invalid("snowfall_cm", "snowfall_cm must be more than 0 and at most 300.")
		}
		if in.PackagesPerAddress != 0 {
			return Invalid("packages_per_address", "packages_per_address is for food campaigns only.")
		}
	case CampaignFood:
		if in.SnowfallCM != nil {
			return Invalid("snowfall_cm", "snowfall_cm is for snowfall campaigns only.")
		}
		if in.PackagesPerAddress < 1 {
			return Invalid("packages_per_address", "packages_per_address must be at least 1.")
		}
	}
	if len(in.DistrictIDs) > 100 {
		return Invalid("district_ids", "At most 100 districts.")
	}
	for _, id := range in.DistrictIDs {
		if id <= 0 {
			return Invalid("district_ids", "District ids must be positive.")
		}
	}
	if len(in.Title) > 200 {
		return Invalid("title", "The title is too long (200 characters at most).")
	}
	if in.Title == "" {
		if in.Kind == CampaignSnowfall {
			in.Title = "Snowfall " + in.Day
		} else {
			in.Title = "Food distribution " + in.Day
		}
	}
	if len(in.IdempotencyKey) > MaxIdempotencyKeyLen {
		return Invalid("Idempotency-Key", "Idempotency key is too long (%d characters at most).", MaxIdempotencyKeyLen)
	}
	return nil
}

// VisitRule is how often a care address gets a recurring visit.
type VisitRule string

// Visit rules; VisitNone clears the rule.
const (
	VisitNone    VisitRule = ""
	VisitWeekly  VisitRule = "weekly"
	VisitMonthly VisitRule = "monthly"
)

// VisitRuleInput sets a care address's rule: weekly on ISO weekday Day
// (1 Monday .. 7 Sunday) or monthly on day-of-month Day (1..28, so every
// month has it). Rule "none" or "" clears it.
type VisitRuleInput struct {
	Rule VisitRule `json:"rule"`
	Day  int       `json:"day"`
	// Expect, when not 0, must be the care address's current Version
	// (If-Match); EPRECONDITION otherwise.
	Expect Version `json:"-"`
}

// Normalize validates the rule.
func (in *VisitRuleInput) Normalize() error {
	if in.Rule == "none" {
		in.Rule = VisitNone
	}
	switch in.Rule {
	case VisitNone:
		if in.Day != 0 {
			return Invalid("day", "Give no day when clearing the rule.")
		}
	case VisitWeekly:
		if in.Day < 1 || in.Day > 7 {
			return Invalid("day", "A weekly visit needs day 1 (Monday) to 7 (Sunday).")
		}
	case VisitMonthly:
		if in.Day < 1 || in.Day > 28 {
			return Invalid("day", "A monthly visit needs day 1 to 28 of the month.")
		}
	default:
		return Invalid("rule", "Unknown rule %q: use weekly, monthly or none.", in.Rule)
	}
	return nil
}

// ISOWeekday returns 1 for Monday through 7 for Sunday.
func ISOWeekday(t time.Time) int {
	if wd := t.Weekday(); wd != time.Sunday {
		return int(wd)
	}
	return 7
}

// Due reports whether a visit rule with visitDay falls on day.
func (r VisitRule) Due(visitDay int, day time.Time) bool {
	switch r {
	case VisitWeekly:
		return ISOWeekday(day) == visitDay
	case VisitMonthly:
		return day.Day() == visitDay
	}
	return false
}

// RecurringVisitNotes is the note on every recurring visit request.
const RecurringVisitNotes = "Recurring visit"

// CampaignStore opens campaigns and creates recurring visits. All methods
// need ActPlan except SetVisitRule (ActEditCare).
type CampaignStore interface {
	// CreateCampaign validates in, stores the campaign and runs it once.
	// With an Idempotency-Key seen before it returns that campaign and
	// created=false. EINVALID naming the field (packages_per_address when
	// no active team could carry it), EFORBIDDEN.
	CreateCampaign(ctx context.Context, actor *User, in CampaignInput) (c *Campaign, created bool, err error)
	// RunCampaign creates the requests still missing: never a second one
	// per address, nor one where an open request of the kind exists.
	// ENOTFOUND, EFORBIDDEN.
	RunCampaign(ctx context.Context, actor *User, id int64) (*Campaign, error)
	// FindCampaignByID returns ENOTFOUND when missing.
	FindCampaignByID(ctx context.Context, actor *User, id int64) (*Campaign, error)
	// CreateDueVisits creates the recurring visits due on day (at most one
	// per address and day) and returns how many it made.
	CreateDueVisits(ctx context.Context, actor *User, day time.Time) (int, error)
	// SetVisitRule sets or clears a care address's recurring rule; audited.
	// ENOTFOUND, EFORBIDDEN.
	SetVisitRule(ctx context.Context, actor *User, careAddressID int64, in VisitRuleInput) error
}
