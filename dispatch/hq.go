package dispatch

import (
	"context"
	"time"
)

// The HQ's monthly report: the figures the volunteer headquarters
// publishes, by organisation and district. Definitions (one home, used by
// the store, the page, CSV, XLSX and PDF):
//
//   - Pensioners helped: distinct people with at least one visit done in
//     the month (a registered care address counts once however often it
//     was visited; a request without a care address counts as one person).
//   - Snow-clearing actions: visits done for snow-clearing requests.
//   - Food packages delivered: the packages of the food-delivery visits
//     done (a food request with no package count counts as one).
//   - Volunteers involved: distinct volunteers on the roster of a route
//     with a visit done in that organisation and district.
//   - Hours: verified volunteer hours (dispatch.VerifiedHours: confirmed
//     attendance only, clipped to the route, overlapping routes counted
//     once, split at Astana midnight, capped per day), the same figures as
//     the hours reports and certificates. A volunteer's seconds of the
//     month are spread over the routes they attended in proportion to their
//     time on each, and a route's part over organisations and districts in
//     proportion to its visits done there (HoursSource "attendance").
//
// A visit belongs to the month of its done time in Astana, to the team's
// organisation, and to the request's district ("no district" when the
// address lies outside the six districts). Totals by organisation, by
// district and overall are computed in the database, not summed, so a
// volunteer working in two districts counts once in the organisation's
// total.

// HQRow is one line of the HQ report. OrganisationID nil with
// AllOrganisations set is a total over organisations; likewise districts.
type HQRow struct {
	OrganisationID   *int64 `json:"organisation_id,omitempty"`
	Organisation     string `json:"organisation"`
	AllOrganisations bool   `json:"all_organisations,omitempty"`
	DistrictID       *int64 `json:"district_id,omitempty"`
	DistrictRU       string `json:"district_ru"`
	DistrictKK       string `json:"district_kk"`
	AllDistricts     bool   `json:"all_districts,omitempty"`
	Pensioners       int    `json:"pensioners"`
	SnowActions      int    `json:"snow_actions"`
	FoodPackages     int    `json:"food_packages"`
	Volunteers       int    `json:"volunteers"`
	// Hours rounded to one decimal, as text ("12.5") so it is exact in
	// every format.
	Hours string `json:"hours"`
}

// HQReport is one month of the HQ report.
type HQReport struct {
	Month string `json:"month"` // YYYY-MM
	// HoursSource names the hours rule: "attendance" (see above).
	HoursSource string `json:"hours_source"`
	// Detail is by organisation and district; ByOrganisation and
	// ByDistrict are the totals; Total the whole month.
	Detail         []HQRow `json:"detail"`
	ByOrganisation []HQRow `json:"by_organisation"`
	ByDistrict     []HQRow `json:"by_district"`
	Total          HQRow   `json:"total"`
}

// HQReportStore computes the HQ report; ActViewReports (EUNAUTHORIZED,
// EFORBIDDEN).
type HQReportStore interface {
	HQReport(ctx context.Context, actor *User, month ReportRange) (*HQReport, error)
}

// ParseMonth reads YYYY-MM as the range of its Astana days; empty is the
// previous month (the report the HQ publishes at the start of a month).
func ParseMonth(s string, now time.Time) (ReportRange, error) {
	var first time.Time
	if s == "" {
		n := now.In(cityZone)
		first = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, cityZone).AddDate(0, -1, 0)
	} else {
		t, err := time.ParseInLocation("2006-01", s, cityZone)
		if err != nil {
			return ReportRange{}, Invalid("month", "The month must be YYYY-MM, for example 2026-01.")
		}
		first = t
	}
	return ReportRange{From: first, To: first.AddDate(0, 1, -1)}, nil
}
