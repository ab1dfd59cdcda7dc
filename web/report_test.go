package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

var reportViewers = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher}

// reportMock implements dispatch.ReportStore with fixed rows; ranges holds
// the ranges it was asked for.
type reportMock struct {
	ranges []dispatch.ReportRange
}

func (m *reportMock) check(actor *dispatch.User, r dispatch.ReportRange) error {
	m.ranges = append(m.ranges, r)
	return dispatch.Require(actor, dispatch.ActViewReports)
}

// checkHours is check for the hours, visits and on-time reports, which
// coordinators may read (scoped to their organisation by the store).
func (m *reportMock) checkHours(actor *dispatch.User, r dispatch.ReportRange) error {
	m.ranges = append(m.ranges, r)
	return dispatch.RequireReports(actor)
}
func (m *reportMock) RequestsReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) ([]dispatch.RequestsRow, error) {
	return []dispatch.RequestsRow{{Day: "2026-01-12", Kind: dispatch.SnowClearing, Status: dispatch.StatusNew, Count: 3}}, m.check(actor, r)
}
func (m *reportMock) VisitsReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) ([]dispatch.VisitsRow, error) {
	return nil, m.checkHours(actor, r)
}
func (m *reportMock) OnTimeReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) ([]dispatch.OnTimeRow, error) {
	share := 0.75
	return []dispatch.OnTimeRow{{Day: "2026-01-12", Done: 5, Judged: 4, OnTime: 3, Share: &share}, {Day: "2026-01-13", Done: 1}}, m.checkHours(actor, r)
}
func (m *reportMock) AlertsReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) (*dispatch.AlertsReport, error) {
	return &dispatch.AlertsReport{Days: []dispatch.AlertsRow{{Day: "2026-01-12", Raised: 1}}, Raised: 1}, m.check(actor, r)
}
func (m *reportMock) HoursReport(ctx context.Context, actor *dispatch.User, r dispatch.ReportRange) (*dispatch.HoursReport, error) {
	return &dispatch.HoursReport{
		Volunteers: []dispatch.HoursRow{
			{ID: 1, Name: `Abay "Abeke", Jr`, Org: `Jas Otan, "Kömek"`, Routes: 2, Seconds: 13500, Minutes: 225, Hours: "3.75"},
			{ID: 2, Name: "=HYPERLINK(\"x\")", Org: "Other", Routes: 1, Seconds: 60, Minutes: 1, Hours: "0.02"},
		},
		Organisations: []dispatch.HoursRow{{ID: 1, Name: `Jas Otan, "Kömek"`, Routes: 2, Seconds: 13500, Minutes: 225, Hours: "3.75"}},
	}, m.checkHours(actor, r)
}

func setReportMocks(s *Server) *reportMock {
	m := &reportMock{}
	s.Reports = m
	return m
}

func TestReportAPI(t *testing.T) {
	t.Run("CSVHeaderAndEscaping", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/api/reports/hours-volunteers.csv?from=2026-01-01&to=2026-01-31", Role: dispatch.RoleDispatcher})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d, want 200; body %s", w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type=%q, want text/csv", ct)
		}
		if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="qamqor-hours-volunteers-2026-01-01-2026-01-31.csv"` {
			t.Errorf("Content-Disposition=%q", cd)
		}
		recs, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v\n%s", err, w.Body)
		}
		want := [][]string{
			{"volunteer_id", "volunteer", "organisation", "routes", "hours", "minutes"},
			{"1", `Abay "Abeke", Jr`, `Jas Otan, "Kömek"`, "2", "3.75", "225"},
			{"2", `'=HYPERLINK("x")`, "Other", "1", "0.02", "1"},
		}
		if len(recs) != len(want) {
			t.Fatalf("records=%q, want %q", recs, want)
		}
		for i := range want {
			if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("record %d=%q, want %q", i, recs[i], want[i])
			}
		}
		if !strings.Contains(w.Body.String(), `"Abay ""Abeke"", Jr"`) {
			t.Errorf("body=%s, want the quoted name escaped", w.Body)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/api/reports/ontime?from=2026-01-12&to=2026-01-13", Role: dispatch.RoleAdmin})
		var rep struct {
			Columns []string       `json:"columns"`
			Rows    [][]any        `json:"rows"`
			Summary map[string]any `json:"summary"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != http.StatusOK {
			t.Fatalf("Code=%d body=%s", w.Code, w.Body)
		}
		if len(rep.Rows) != 2 || rep.Rows[1][4] != nil || rep.Summary["share"] != 0.75 {
			t.Fatalf("rep=%+v, want two rows, a null share and a 0.75 total", rep)
		}
	})
	t.Run("EmptyRowsAreArray", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/api/reports/visits", Role: dispatch.RoleAdmin})
		if !strings.Contains(w.Body.String(), `"rows":[]`) {
			t.Fatalf("body=%s, want rows []", w.Body)
		}
	})
	t.Run("DefaultRangeIs30Days", func(t *testing.T) {
		ts := MustServer(t, Config{})
		m := setReportMocks(ts.Server)
		ts.do(t, call{Method: "GET", Path: "/api/reports/requests", Role: dispatch.RoleAdmin})
		if len(m.ranges) != 1 || m.ranges[0].End().Sub(m.ranges[0].Start()).Hours() != 30*24 {
			t.Fatalf("ranges=%v, want one of 30 days", m.ranges)
		}
	})
	for _, tc := range []struct{ name, query, field string }{
		{"ToBeforeFrom", "from=2026-01-31&to=2026-01-01", "to"},
		{"BadDate", "from=31.01.2026&to=2026-02-01", "from"},
		{"TooLong", "from=2024-01-01&to=2026-01-01", "from"},
	} {
		t.Run("Range422/"+tc.name, func(t *testing.T) {
			ts := MustServer(t, Config{})
			w := ts.do(t, call{Method: "GET", Path: "/api/reports/requests.csv?" + tc.query, Role: dispatch.RoleDispatcher})
			if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p["field"] != tc.field {
				t.Fatalf("Code=%d field=%v, want 422 %s", w.Code, p["field"], tc.field)
			}
		})
	}
	t.Run("UnknownReport404", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "GET", Path: "/api/reports/salaries.csv", Role: dispatch.RoleDispatcher})
		if problemOf(t, w); w.Code != http.StatusNotFound {
			t.Fatalf("Code=%d, want 404", w.Code)
		}
	})
	t.Run("Roles", func(t *testing.T) {
		ts := MustServer(t, Config{})
		for role, want := range map[dispatch.Role]int{dispatch.RoleHotline: 403, dispatch.RoleTeamLead: 403, anonymous: 401, dispatch.RoleDispatcher: 200} {
			w := ts.do(t, call{Method: "GET", Path: "/api/reports/hours-organisations.csv", Role: role})
			if w.Code != want {
				t.Errorf("role %q: Code=%d, want %d", role, w.Code, want)
			}
		}
	})
}
