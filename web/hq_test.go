package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/xuri/excelize/v2"
)

type hqMock struct{}

func (hqMock) HQReport(ctx context.Context, actor *dispatch.User, month dispatch.ReportRange) (*dispatch.HQReport, error) {
	if err := dispatch.Require(actor, dispatch.ActViewReports); err != nil {
		return nil, err
	}
	org, d := int64(1), int64(2)
	row := dispatch.HQRow{OrganisationID: &org, Organisation: "Жас Отан", DistrictID: &d, DistrictRU: "Сарыарка", DistrictKK: "Сарыарқа",
		Pensioners: 12, SnowActions: 30, FoodPackages: 8, Volunteers: 9, Hours: "41.5"}
	byOrg := row
	byOrg.DistrictID, byOrg.AllDistricts = nil, true
	byDist := row
	byDist.OrganisationID, byDist.AllOrganisations = nil, true
	total := byOrg
	total.OrganisationID, total.AllOrganisations = nil, true
	return &dispatch.HQReport{Month: month.From.Format("2006-01"), HoursSource: "route",
		Detail: []dispatch.HQRow{row}, ByOrganisation: []dispatch.HQRow{byOrg}, ByDistrict: []dispatch.HQRow{byDist}, Total: total}, nil
}

var reportViewersHQ = []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher}

func init() {
	routeTable["GET /reports/hq"] = routeExpect{Path: "/reports/hq?month=2026-01", Roles: reportViewersHQ, Page: true}
	routeTable["GET /api/reports/hq"] = routeExpect{Path: "/api/reports/hq?month=2026-01&format=csv", Roles: reportViewersHQ}
}

func TestHQReportFormats(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Server.HQ = hqMock{}
	get := func(path string) *bytes.Buffer {
		t.Helper()
		w := ts.do(t, call{Method: "GET", Path: path, Role: dispatch.RoleDispatcher})
		if w.Code != http.StatusOK {
			t.Fatalf("%s: Code=%d body %s", path, w.Code, w.Body)
		}
		return w.Body
	}
	csv := get("/api/reports/hq?month=2026-01&format=csv&lang=ru").String()
	if !strings.HasPrefix(csv, "Организация,Район,Получили помощь пенсионеров,Уборок снега,Доставлено продуктовых наборов,Задействовано волонтёров,Часы волонтёров\n") ||
		!strings.Contains(csv, "Жас Отан,Сарыарка,12,30,8,9,41.5\n") || !strings.Contains(csv, "Все организации,Все районы,12,30,8,9,41.5\n") {
		t.Errorf("ru csv=%q", csv)
	}
	kk := get("/api/reports/hq?month=2026-01&format=csv&lang=kk").String()
	if !strings.Contains(kk, "Жас Отан,Сарыарқа,") || !strings.HasPrefix(kk, "Ұйым,Аудан,") {
		t.Errorf("kk csv=%q", kk)
	}
	x, err := excelize.OpenReader(get("/api/reports/hq?month=2026-01&format=xlsx&lang=en"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("2026-01")
	if err != nil || len(rows) != 5 || rows[0][2] != "Pensioners helped" || rows[1][6] != "41.5" {
		t.Errorf("xlsx rows=%v err=%v", rows, err)
	}
	if pdf := get("/api/reports/hq?month=2026-01&format=pdf&lang=kk").Bytes(); !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 5000 {
		t.Errorf("pdf: %d bytes, starts %q", len(pdf), pdf[:min(8, len(pdf))])
	}
	page := get("/reports/hq?month=2026-01").String()
	if !strings.Contains(page, "41.5") || !strings.Contains(page, "2026-01") {
		t.Errorf("page lacks the figures")
	}
	w := ts.do(t, call{Method: "GET", Path: "/api/reports/hq?month=2026-13", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("month=2026-13: Code=%d, want 422", w.Code)
	}
}
