package dispatch

import (
	"context"
	"encoding/json"
	"time"
)

// Reports summarise the work over a range of Astana days for dispatchers and
// admins (ActViewReports). Days are local: a visit at 01:00 on the 2nd in
// Astana belongs to the 2nd even though it is still the 1st in UTC.

// MaxReportDays is the longest range a report covers.
const MaxReportDays = 366

// DefaultReportDays is the range a report covers when none is given: the
// last 30 days including today.
const DefaultReportDays = 30

// OnTimeSlack is how far from its ETA a visit without a time window may be
// done and still count as on time.
const OnTimeSlack = 30 * time.Minute

// ReportRange is an inclusive range of Astana days.
type ReportRange struct {
	From time.Time // midnight in Astana of the first day
	To   time.Time // midnight in Astana of the last day
}

// Start is the first instant of the range.
func (r ReportRange) Start() time.Time { return r.From }

// End is the first instant after the range (midnight after the last day).
func (r ReportRange) End() time.Time { return r.To.AddDate(0, 0, 1) }

// UTCOffset is Astana's offset from UTC in seconds, for grouping by local
// day in SQL.
func (r ReportRange) UTCOffset() int {
	_, off := r.From.In(cityZone).Zone()
	return off
}

// ParseReportRange reads from and to (YYYY-MM-DD, both optional). Without
// them the range is the DefaultReportDays ending today; to before from or a
// range longer than MaxReportDays is EINVALID.
func ParseReportRange(from, to string, now time.Time) (ReportRange, error) {
	var r ReportRange
	var err error
	if to == "" {
		r.To, _ = time.ParseInLocation(time.DateOnly, LocalDate(now), cityZone)
	} else if r.To, err = ParseLocalDate("to", to); err != nil {
		return r, err
	}
	if from == "" {
		r.From = r.To.AddDate(0, 0, -(DefaultReportDays - 1))
	} else if r.From, err = ParseLocalDate("from", from); err != nil {
		return r, err
	}
	if r.To.Before(r.From) {
		return r, Invalid("to", "The end date (%s) is before the start date (%s).", LocalDate(r.To), LocalDate(r.From))
	}
	if r.End().Sub(r.From) > MaxReportDays*24*time.Hour {
		return r, Invalid("from", "A report covers %d days at most.", MaxReportDays)
	}
	return r, nil
}

// RequestsRow counts the requests created on one day of one kind that now
// have one status.
type RequestsRow struct {
	Day    string        `json:"day"`
	Kind   RequestKind   `json:"kind"`
	Status RequestStatus `json:"status"`
	Count  int           `json:"count"`
}

// VisitsRow counts the stops done on one day for requests of one kind.
type VisitsRow struct {
	Day   string      `json:"day"`
	Kind  RequestKind `json:"kind"`
	Count int         `json:"count"`
}

// OnTimeRow is the punctuality of one day's done stops.
//
// The rule: a stop's visit time is arrived_at when the team reported
// arriving, otherwise done_at. When the request has a time window, the visit
// is on time if it falls inside the window (an open end does not limit).
// Without a window but with an ETA, it is on time if it is within
// OnTimeSlack of the ETA, early or late. Stops with neither are not judged:
// they count in Done but not in Judged, and Share is OnTime / Judged
// (null when nothing was judged).
type OnTimeRow struct {
	Day    string   `json:"day"`
	Done   int      `json:"done"`
	Judged int      `json:"judged"`
	OnTime int      `json:"on_time"`
	Share  *float64 `json:"share"`
}

// AlertsRow counts the welfare alerts raised on one day, how many of them
// have been handled (on any day since) and the median time to handle them.
type AlertsRow struct {
	Day     string `json:"day"`
	Raised  int    `json:"raised"`
	Handled int    `json:"handled"`
	// MedianMinutes is the median of handled_at − created_at over the
	// handled ones, in minutes rounded to one decimal; nil when none.
	MedianMinutes *float64 `json:"median_minutes"`
}

// AlertsReport is the alerts per day plus the median over the whole range.
type AlertsReport struct {
	Days          []AlertsRow `json:"days"`
	Raised        int         `json:"raised"`
	Handled       int         `json:"handled"`
	MedianMinutes *float64    `json:"median_minutes"`
}

// HoursRow is the verified time one volunteer (or one organisation's
// volunteers together) gave, by the rule of VerifiedHours: confirmed
// attendance only, overlapping routes counted once, each Astana day capped
// at MaxHoursPerDay. Routes counts the confirmed routes checked in on a day
// of the range (distinct routes for an organisation). Seconds is exact;
// Minutes is Seconds / 60 rounded down; Hours is FormatHours(Seconds).
type HoursRow struct {
	ID      int64       `json:"id"`
	Name    string      `json:"name"`
	Org     string      `json:"organisation,omitempty"`
	Routes  int         `json:"routes"`
	Seconds int64       `json:"seconds"`
	Minutes int64       `json:"minutes"`
	Hours   json.Number `json:"hours"`
}

// HoursReport is the volunteer hours by volunteer and by organisation.
type HoursReport struct {
	Volunteers    []HoursRow `json:"volunteers"`
	Organisations []HoursRow `json:"organisations"`
}

// ReportStore computes the reports. Every method needs ActViewReports
// (EUNAUTHORIZED, EFORBIDDEN); rows come sorted by day (or name).
type ReportStore interface {
	RequestsReport(ctx context.Context, actor *User, r ReportRange) ([]RequestsRow, error)
	VisitsReport(ctx context.Context, actor *User, r ReportRange) ([]VisitsRow, error)
	OnTimeReport(ctx context.Context, actor *User, r ReportRange) ([]OnTimeRow, error)
	AlertsReport(ctx context.Context, actor *User, r ReportRange) (*AlertsReport, error)
	HoursReport(ctx context.Context, actor *User, r ReportRange) (*HoursReport, error)
}
