package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

// importMock implements ImportService with the permission checks of the
// real store and a staged import of two rows, one rejected.
type importMock struct {
	created *dispatch.Import
	// track makes ApplyImport mark the import applied, for tests that
	// apply twice; the route walk applies once per role.
	track, applied bool
}

func (m *importMock) CreateImport(ctx context.Context, actor *dispatch.User, imp *dispatch.Import) error {
	if err := dispatch.Require(actor, imp.Kind.Action()); err != nil {
		return err
	}
	imp.ID = 3
	m.created = imp
	return nil
}
func (m *importMock) FindImport(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Import, error) {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
		return nil, err
	}
	status := dispatch.ImportStaged
	if m.applied {
		status = dispatch.ImportApplied
	}
	return &dispatch.Import{ID: id, Kind: dispatch.ImportCare, Status: status, RowsTotal: 2, RowsDone: 2, Header: []string{"ФИО", "Телефон", "Адрес"},
		Counts: dispatch.ImportCounts{Rows: 2, Created: 1, Rejected: 1}}, nil
}
func (m *importMock) ImportContent(ctx context.Context, actor *dispatch.User, id int64) ([]byte, error) {
	return nil, nil
}
func (m *importMock) ResolveOrganisations(ctx context.Context, names []string) (map[string]int64, error) {
	return nil, nil
}
func (m *importMock) PlaceAddresses(ctx context.Context, keys []string) (map[string]dispatch.Place, error) {
	return nil, nil
}
func (m *importMock) MatchImport(ctx context.Context, kind dispatch.ImportKind, rows []*dispatch.ImportRow) (map[int64]any, error) {
	return nil, nil
}
func (m *importMock) StageImport(ctx context.Context, actor *dispatch.User, id int64, rows []*dispatch.ImportRow, done, total int, status string) error {
	return nil
}
func (m *importMock) ApplyImport(ctx context.Context, actor *dispatch.User, id int64) (dispatch.ImportCounts, error) {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
		return dispatch.ImportCounts{}, err
	}
	m.applied = m.track
	return dispatch.ImportCounts{Rows: 2, Created: 1, Rejected: 1}, nil
}
func (m *importMock) ImportRows(ctx context.Context, actor *dispatch.User, id int64, rejected bool, after, limit int) ([]dispatch.ImportRow, error) {
	rows := []dispatch.ImportRow{
		{Line: 2, Fate: dispatch.FateCreate, Label: "Иванова Мария · Кенесары 40"},
		{Line: 3, Fate: dispatch.FateReject, Label: "Ким · ", Reason: dispatch.RejectNoAddress, Cells: []string{"Ким", "+7 701 000 00 01", ""}},
	}
	if rejected {
		rows = rows[1:]
	}
	return rows, nil
}
func (m *importMock) FailImport(ctx context.Context, id int64, msg string) error { return nil }
func (m *importMock) DeleteImport(ctx context.Context, actor *dispatch.User, id int64) error {
	return nil
}
func (m *importMock) RunImportJob(ctx context.Context, id int64, apply bool) error { return nil }
func (m *importMock) QueueImport(ctx context.Context, actor *dispatch.User, id int64, apply bool) error {
	return nil
}

type exportMock struct{}

func (exportMock) Export(ctx context.Context, actor *dispatch.User, kind dispatch.ExportKind, f dispatch.ExportFilter) (*dispatch.Table, error) {
	if err := dispatch.Require(actor, kind.Action()); err != nil {
		return nil, err
	}
	return &dispatch.Table{Name: string(kind), Columns: []string{"id", "address"}, Rows: [][]string{{"1", "=Kenesary 40"}}}, nil
}

func setBulkMocks(s *Server) *importMock {
	m := &importMock{}
	s.Imports, s.Exports = m, exportMock{}
	return m
}

const uploadBoundary = "qamqorboundary"

// uploadBody is a multipart form with kind and a two-row CSV file.
func uploadBody(kind, csv string) string {
	return "--" + uploadBoundary + "\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n" + kind + "\r\n" +
		"--" + uploadBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
		csv + "\r\n--" + uploadBoundary + "--\r\n"
}

const uploadCSV = "ФИО;Телефон;Адрес\nИванова Мария;+7 701 555 12 34;Кенесары 40\nКим;+7 701 000 00 01;\n"

var uploadType = "multipart/form-data; boundary=" + uploadBoundary

func init() {
	for k, v := range map[string]routeExpect{
		"GET /imports":                  {Roles: careEditors, Page: true},
		"POST /api/imports":             {Roles: careEditors, Body: uploadBody("care-addresses", uploadCSV), ContentType: uploadType},
		"GET /api/imports/{id}":         {Path: "/api/imports/3", Roles: careEditors},
		"GET /api/imports/{id}/rows":    {Path: "/api/imports/3/rows?limit=20", Roles: careEditors},
		"GET /api/imports/{id}/rejects": {Path: "/api/imports/3/rejects?format=csv", Roles: careEditors},
		"POST /api/imports/{id}/apply":  {Path: "/api/imports/3/apply", Roles: careEditors},
		"GET /api/export/{kind}":        {Path: "/api/export/requests?format=csv", Roles: viewers},
	} {
		routeTable[k] = v
	}
}

func TestImportAPI(t *testing.T) {
	t.Run("UploadStagesAndPreviews", func(t *testing.T) {
		ts := MustServer(t, Config{})
		m := setBulkMocks(ts.Server)
		w := ts.do(t, call{Method: "POST", Path: "/api/imports", Role: dispatch.RoleDispatcher, Body: uploadBody("care-addresses", uploadCSV), ContentType: uploadType})
		if w.Code != http.StatusCreated {
			t.Fatalf("Code=%d, want 201; body %s", w.Code, w.Body)
		}
		if m.created == nil || m.created.Format != "csv" || m.created.Filename != "list.csv" || len(m.created.Content) == 0 {
			t.Fatalf("created=%+v, want the file stored", m.created)
		}
	})
	t.Run("VolunteersNeedAnAdmin", func(t *testing.T) {
		ts := MustServer(t, Config{})
		setBulkMocks(ts.Server)
		w := ts.do(t, call{Method: "POST", Path: "/api/imports", Role: dispatch.RoleDispatcher,
			Body: uploadBody("volunteers", "name,birth_year\nA,2000\n"), ContentType: uploadType})
		if w.Code != http.StatusForbidden {
			t.Fatalf("Code=%d, want 403; body %s", w.Code, w.Body)
		}
	})
	t.Run("UnknownColumnsAskForAMapping", func(t *testing.T) {
		ts := MustServer(t, Config{})
		setBulkMocks(ts.Server)
		w := ts.do(t, call{Method: "POST", Path: "/api/imports", Role: dispatch.RoleDispatcher,
			Body: uploadBody("care-addresses", "Кто;Где\nA;B\n"), ContentType: uploadType})
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("Code=%d, want 422; body %s", w.Code, w.Body)
		}
		p := problemOf(t, w)
		if h, _ := p["header"].([]any); len(h) != 2 || h[0] != "Кто" {
			t.Errorf("problem header=%v, want the file's columns", p["header"])
		}
	})
	t.Run("RejectsInTheReadersLanguage", func(t *testing.T) {
		ts := MustServer(t, Config{})
		setBulkMocks(ts.Server)
		w := ts.do(t, call{Method: "GET", Path: "/api/imports/3/rejects?format=csv", Role: dispatch.RoleDispatcher,
			Header: map[string]string{"Accept-Language": "ru"}})
		if w.Code != http.StatusOK {
			t.Fatalf("Code=%d; body %s", w.Code, w.Body)
		}
		want := "line,reason,ФИО,Телефон,Адрес\n3,Нет адреса.,Ким,'+7 701 000 00 01,\n"
		if w.Body.String() != want {
			t.Errorf("rejects=%q, want %q", w.Body.String(), want)
		}
		w = ts.do(t, call{Method: "GET", Path: "/api/imports/3/rejects?format=csv&lang=kk", Role: dispatch.RoleDispatcher,
			Header: map[string]string{"Accept-Language": "ru"}})
		if !strings.Contains(w.Body.String(), "3,Мекенжай жоқ.,") {
			t.Errorf("rejects?lang=kk=%q, want the kk reason", w.Body.String())
		}
		w = ts.do(t, call{Method: "GET", Path: "/api/imports/3/rows", Role: dispatch.RoleDispatcher, Header: map[string]string{"Accept-Language": "kk"}})
		var rows []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &rows); err != nil || len(rows) != 2 || rows[1]["reason_text"] != "Мекенжай жоқ." {
			t.Errorf("rows=%s, want the kk reason", w.Body)
		}
	})
	t.Run("ApplyOnce", func(t *testing.T) {
		ts := MustServer(t, Config{})
		setBulkMocks(ts.Server).track = true
		w := ts.do(t, call{Method: "POST", Path: "/api/imports/3/apply", Role: dispatch.RoleAdmin})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"status":"applied"`) {
			t.Fatalf("Code=%d body %s, want 200 applied", w.Code, w.Body)
		}
		w = ts.do(t, call{Method: "POST", Path: "/api/imports/3/apply", Role: dispatch.RoleAdmin})
		if w.Code != http.StatusConflict {
			t.Fatalf("second apply Code=%d, want 409", w.Code)
		}
	})
	t.Run("ExportDefusesFormulas", func(t *testing.T) {
		ts := MustServer(t, Config{})
		setBulkMocks(ts.Server)
		w := ts.do(t, call{Method: "GET", Path: "/api/export/requests?format=csv", Role: dispatch.RoleHotline})
		if w.Code != http.StatusOK || w.Body.String() != "id,address\n1,'=Kenesary 40\n" {
			t.Fatalf("Code=%d body %q", w.Code, w.Body)
		}
		w = ts.do(t, call{Method: "GET", Path: "/api/export/care-addresses?format=xlsx", Role: dispatch.RoleHotline})
		if w.Code != http.StatusForbidden {
			t.Fatalf("hotline care export Code=%d, want 403", w.Code)
		}
		w = ts.do(t, call{Method: "GET", Path: "/api/export/requests?format=pdf", Role: dispatch.RoleAdmin})
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("format=pdf Code=%d, want 422", w.Code)
		}
	})
}
