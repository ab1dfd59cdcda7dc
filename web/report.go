package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// Reports for dispatchers and admins: each is a table over a range of
// Astana days, as JSON for the page (GET /api/reports/{name}) or as CSV
// (GET /api/reports/{name}.csv). The definitions (on-time rule, volunteer
// hours) are documented on the row types in dispatch/report.go.

// registerReportRoutes adds the reports page and its API.
func (s *Server) registerReportRoutes(r chi.Router) {
	r.Get("/reports", s.handleReportsPage)
	s.addPage(page{Path: "/reports", TitleKey: "nav.reports", Title: "Reports", Action: dispatch.ActViewReports})
	// Coordinators see their organisation's hours reports.
	s.addPage(page{Path: "/reports", TitleKey: "nav.reports", Title: "Reports", Action: dispatch.ActViewOrgReports})
	// One pattern for both forms: chi cannot tell {name} from {name}.csv
	// reliably, so the handler strips the suffix.
	r.Get("/api/reports/{name}", s.handleReport)
}

// reportTable is one report as columns and rows; Summary holds figures
// over the whole range (JSON only).
type reportTable struct {
	Name    string         `json:"name"`
	From    string         `json:"from"`
	To      string         `json:"to"`
	Columns []string       `json:"columns"`
	Rows    [][]any        `json:"rows"`
	Summary map[string]any `json:"summary,omitempty"`
}

// reportBuilders are the reports by name, in the order the page shows them.
var reportNames = []string{"requests", "visits", "ontime", "alerts", "hours-volunteers", "hours-organisations"}

func (s *Server) buildReport(ctx context.Context, actor *dispatch.User, name string, rng dispatch.ReportRange) (*reportTable, error) {
	t := &reportTable{Name: name, From: dispatch.LocalDate(rng.From), To: dispatch.LocalDate(rng.To), Rows: [][]any{}}
	switch name {
	case "requests":
		rows, err := s.Reports.RequestsReport(ctx, actor, rng)
		if err != nil {
			return nil, err
		}
		t.Columns = []string{"day", "kind", "status", "count"}
		for _, x := range rows {
			t.Rows = append(t.Rows, []any{x.Day, string(x.Kind), string(x.Status), x.Count})
		}
	case "visits":
		rows, err := s.Reports.VisitsReport(ctx, actor, rng)
		if err != nil {
			return nil, err
		}
		t.Columns = []string{"day", "kind", "count"}
		for _, x := range rows {
			t.Rows = append(t.Rows, []any{x.Day, string(x.Kind), x.Count})
		}
	case "ontime":
		rows, err := s.Reports.OnTimeReport(ctx, actor, rng)
		if err != nil {
			return nil, err
		}
		t.Columns = []string{"day", "done", "judged", "on_time", "share"}
		done, judged, onTime := 0, 0, 0
		for _, x := range rows {
			t.Rows = append(t.Rows, []any{x.Day, x.Done, x.Judged, x.OnTime, x.Share})
			done, judged, onTime = done+x.Done, judged+x.Judged, onTime+x.OnTime
		}
		t.Summary = map[string]any{"done": done, "judged": judged, "on_time": onTime, "share": nil}
		if judged > 0 {
			t.Summary["share"] = float64(onTime) / float64(judged)
		}
	case "alerts":
		rep, err := s.Reports.AlertsReport(ctx, actor, rng)
		if err != nil {
			return nil, err
		}
		t.Columns = []string{"day", "raised", "handled", "median_minutes"}
		for _, x := range rep.Days {
			t.Rows = append(t.Rows, []any{x.Day, x.Raised, x.Handled, x.MedianMinutes})
		}
		t.Summary = map[string]any{"raised": rep.Raised, "handled": rep.Handled, "median_minutes": rep.MedianMinutes}
	case "hours-volunteers", "hours-organisations":
		rep, err := s.Reports.HoursReport(ctx, actor, rng)
		if err != nil {
			return nil, err
		}
		if name == "hours-volunteers" {
			t.Columns = []string{"volunteer_id", "volunteer", "organisation", "routes", "hours", "minutes"}
			for _, x := range rep.Volunteers {
				t.Rows = append(t.Rows, []any{x.ID, x.Name, x.Org, x.Routes, x.Hours, x.Minutes})
			}
		} else {
			t.Columns = []string{"organisation_id", "organisation", "routes", "hours", "minutes"}
			for _, x := range rep.Organisations {
				t.Rows = append(t.Rows, []any{x.ID, x.Name, x.Routes, x.Hours, x.Minutes})
			}
		}
	default:
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "There is no report %q; reports are %s.", name, strings.Join(reportNames, ", "))
	}
	return t, nil
}

// reportsPage lists the reports for the template.
type reportsPage struct {
	Names []string
}

// orgReportNames are the reports a coordinator gets, scoped to their
// organisation by the store (dispatch.ReportScope).
var orgReportNames = []string{"visits", "ontime", "hours-volunteers", "hours-organisations"}

// reportNamesFor are the reports actor may read: all for city-wide
// viewers, the hours for coordinators.
func reportNamesFor(actor *dispatch.User) []string {
	if actor.Can(dispatch.ActViewReports) {
		return reportNames
	}
	if actor.Can(dispatch.ActViewOrgReports) {
		return orgReportNames
	}
	return nil
}

// reportsActor is the user when they may read reports at all.
func (s *Server) reportsActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireReports(actor); err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	return actor, true
}

func (s *Server) handleReportsPage(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.reportsActor(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "reports", reportsPage{Names: reportNamesFor(actor)})
}

// handleReport serves GET /api/reports/{name}[.csv]?from=&to=. Dates are
// YYYY-MM-DD in Astana, both optional (the last 30 days); to before from is
// 422.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.reportsActor(w, r)
	if !ok {
		return
	}
	if s.Reports == nil {
		s.Error(w, r, unavailable("Reporting"))
		return
	}
	name, asCSV := strings.CutSuffix(chi.URLParam(r, "name"), ".csv")
	if !actor.Can(dispatch.ActViewReports) && !slices.Contains(reportNamesFor(actor), name) {
		s.Error(w, r, dispatch.Errorf(dispatch.EFORBIDDEN, "Your role (%s) may read your organisation's visits, on-time and hours reports only.", actor.Role))
		return
	}
	q := r.URL.Query()
	rng, err := dispatch.ParseReportRange(q.Get("from"), q.Get("to"), s.now())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	t, err := s.buildReport(r.Context(), actor, name, rng)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !asCSV {
		writeJSON(w, http.StatusOK, t)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="qamqor-%s-%s-%s.csv"`, name, t.From, t.To))
	cw := csv.NewWriter(w)
	cw.Write(t.Columns)
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = csvCell(v)
		}
		cw.Write(rec)
	}
	cw.Flush()
}

// csvCell formats one value. Text that a spreadsheet would run as a formula
// (=, +, -, @ first) gets a leading apostrophe; encoding/csv quotes commas,
// quotes and newlines.
func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	default:
		return fmt.Sprint(x)
	}
}
