package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

func init() { exporters[dispatch.ExportHours] = exportHours }

// hoursExportColumns are the columns of `qamqor export hours`.
var hoursExportColumns = []string{"volunteer_id", "volunteer", "organisation_id", "organisation", "from", "to", "routes", "visits", "seconds", "hours"}

// exportHours exports every volunteer's verified hours (dispatch.VerifiedHours:
// confirmed attendance, overlaps once, capped per day) over the range, or
// over all time without one; a coordinator gets their organisation only.
func exportHours(ctx context.Context, tx pgx.Tx, actor *dispatch.User, f dispatch.ExportFilter) (*dispatch.Table, error) {
	var r dispatch.ReportRange
	if f.Range != nil {
		r = *f.Range
	} else {
		var first, last *time.Time
		if err := tx.QueryRow(ctx, `SELECT min(check_in), max(coalesce(check_out, check_in)) FROM attendance`).Scan(&first, &last); err != nil {
			return nil, err
		}
		if first == nil {
			return &dispatch.Table{Columns: hoursExportColumns}, nil
		}
		var err error
		if r.From, err = dispatch.ParseLocalDate("from", dispatch.LocalDate(*first)); err != nil {
			return nil, err
		}
		if r.To, err = dispatch.ParseLocalDate("to", dispatch.LocalDate(*last)); err != nil {
			return nil, err
		}
	}
	hours, err := hoursFor(ctx, tx, r, dispatch.OrgScope(actor), nil)
	if err != nil {
		return nil, err
	}
	t := &dispatch.Table{Columns: hoursExportColumns}
	from, to := dispatch.LocalDate(r.From), dispatch.LocalDate(r.To)
	for _, h := range hours {
		t.Rows = append(t.Rows, []string{strconv.FormatInt(h.VolunteerID, 10), h.Name, strconv.FormatInt(h.OrganisationID, 10),
			h.Organisation, from, to, strconv.Itoa(h.Routes), strconv.Itoa(h.Visits), strconv.FormatInt(h.Seconds, 10), h.Hours})
	}
	return t, nil
}
