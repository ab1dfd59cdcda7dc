package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/sheet"
	"github.com/qamqor/qamqor/web/locale"
)

// Import and export for the web admin. The page (GET /imports) uploads a
// file, shows the detected columns and the fate of the first rows, and
// applies on confirmation; rejects download with their reasons in the
// user's language. Staging and applying are dispatch.RunImport's path,
// shared with `qamqor import`; files over dispatch.ImportBatchSize rows run
// in the background and the page follows their progress.

// ImportService is the import store plus its background runner.
type ImportService interface {
	dispatch.ImportStore
	// RunImportJob stages import id and applies it when apply is set.
	RunImportJob(ctx context.Context, id int64, apply bool) error
	// QueueImport runs RunImportJob in the background after checking actor.
	QueueImport(ctx context.Context, actor *dispatch.User, id int64, apply bool) error
}

// DefaultMaxUploadBytes bounds an uploaded import file (a 50,000-row
// care-address CSV is about 6 MB).
const DefaultMaxUploadBytes = 32 << 20

// importPreviewRows is how many rows the page previews.
const importPreviewRows = 20

func init() {
	qRange := []apiParam{{Name: "from", Description: "first day, YYYY-MM-DD (Astana)"}, {Name: "to", Description: "last day, YYYY-MM-DD (Astana)"}}
	describe(
		pageOp("GET", "/imports", "Import and export page", "admin, dispatcher"),
		apiOp{Method: "POST", Pattern: "/api/imports", Summary: "Upload a CSV or XLSX file (fields kind, file, org, mapping); staged, not applied: 201, or 202 when staged in the background",
			Tag: "registry", Roles: "care-addresses: admin, dispatcher; volunteers, teams: admin", BodyType: "multipart/form-data", Resp: importView{}, Status: 201},
		apiOp{Method: "GET", Pattern: "/api/imports/{id}", Summary: "An import's status, progress and counts", Tag: "registry", Roles: "admin, dispatcher", Resp: importView{}},
		apiOp{Method: "GET", Pattern: "/api/imports/{id}/rows", Summary: "Staged rows with their fate and reason (in the request's language)", Tag: "registry", Roles: "admin, dispatcher",
			Query: []apiParam{{Name: "after", Type: "integer", Description: "line to start after"}, {Name: "limit", Type: "integer"}, {Name: "rejected", Description: "1: rejected rows only"}}, Resp: []importRowView{}},
		apiOp{Method: "GET", Pattern: "/api/imports/{id}/rejects", Summary: "Rejected rows with line and reason, as CSV or XLSX", Tag: "registry", Roles: "admin, dispatcher",
			Query: []apiParam{{Name: "format", Description: "csv (default) or xlsx"}, {Name: "lang", Description: "kk, ru or en (default: the request's)"}}, RespType: "text/csv"},
		apiOp{Method: "POST", Pattern: "/api/imports/{id}/apply", Summary: "Apply a staged import: 200 once applied, 202 when a large one applies in the background, 409 when not staged", Tag: "registry", Roles: "admin, dispatcher", Resp: importView{}},
		apiOp{Method: "GET", Pattern: "/api/export/{kind}", Summary: "Export care-addresses, volunteers, teams, requests or hours as CSV or XLSX (same tables as `qamqor export`)", Tag: "registry",
			Roles: "care-addresses: admin, dispatcher; volunteers, teams: admin; requests: admin, dispatcher, hotline; hours: report viewers",
			Query: append([]apiParam{{Name: "format", Description: "csv (default) or xlsx"}}, qRange...), RespType: "text/csv"},
	)
}

func (s *Server) registerBulkRoutes(r chi.Router) {
	r.Get("/imports", s.handleImportsPage)
	s.addPage(page{Path: "/imports", TitleKey: "nav.imports", Title: "Import and export", Action: dispatch.ActEditCare})
	r.Post("/api/imports", s.handleImportUpload)
	r.Get("/api/imports/{id}", s.handleImportView)
	r.Get("/api/imports/{id}/rows", s.handleImportRows)
	r.Get("/api/imports/{id}/rejects", s.handleImportRejects)
	r.Post("/api/imports/{id}/apply", s.handleImportApply)
	r.Get("/api/export/{kind}", s.handleExport)
}

// isUpload reports whether r is an import upload, which may be larger than
// MaxBodyBytes.
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/api/imports"
}

// importsPage is what the template needs.
type importsPage struct {
	Kinds       []dispatch.ImportKind
	ExportKinds []dispatch.ExportKind
	Fields      map[dispatch.ImportKind][]string
}

func (s *Server) handleImportsPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActEditCare); !ok {
		return
	}
	fields := map[dispatch.ImportKind][]string{}
	for _, k := range dispatch.ImportKinds {
		fields[k] = dispatch.ImportFieldNames(k)
	}
	s.render(w, r, http.StatusOK, "imports", importsPage{Kinds: dispatch.ImportKinds, ExportKinds: dispatch.ExportKinds, Fields: fields})
}

func (s *Server) importActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor := userFrom(r.Context())
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil && dispatch.Require(actor, dispatch.ActManageTeams) != nil {
		s.Error(w, r, err)
		return nil, false
	}
	if s.Imports == nil {
		s.Error(w, r, unavailable("Import"))
		return nil, false
	}
	return actor, true
}

// importView is an import with its problem in the reader's language.
type importView struct {
	*dispatch.Import
	Ignored []string `json:"ignored,omitempty"`
}

// handleImportUpload serves POST /api/imports, a multipart form with kind,
// file, and optional org (organisation id) and mapping (JSON object of
// header -> field). A file of at most dispatch.ImportBatchSize rows is
// staged at once (201); a larger one in the background (202). Nothing is
// applied until POST /api/imports/{id}/apply.
func (s *Server) handleImportUpload(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.importActor(w, r)
	if !ok {
		return
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			s.Error(w, r, tooLarge(s.MaxUploadBytes))
			return
		}
		s.Error(w, r, dispatch.Errorf(codeMalformed, "Send the file as multipart/form-data with the fields kind and file."))
		return
	}
	defer r.MultipartForm.RemoveAll()
	kind := dispatch.ImportKind(r.FormValue("kind"))
	if !kind.Valid() {
		s.Error(w, r, dispatch.Invalid("kind", "Unknown import kind %q.", string(kind)))
		return
	}
	if err := dispatch.Require(actor, kind.Action()); err != nil {
		s.Error(w, r, err)
		return
	}
	imp := &dispatch.Import{Kind: kind}
	if v := r.FormValue("org"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.Error(w, r, dispatch.Invalid("org", "The organisation must be an id."))
			return
		}
		imp.OrganisationID = &id
	}
	if v := r.FormValue("mapping"); v != "" {
		if err := json.Unmarshal([]byte(v), &imp.Explicit); err != nil {
			s.Error(w, r, dispatch.Invalid("mapping", "The mapping must be a JSON object of column to field."))
			return
		}
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		s.Error(w, r, dispatch.Invalid("file", "Choose a CSV or XLSX file."))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, sheet.MaxFileSize+1))
	if err != nil {
		s.Error(w, r, dispatch.Errorf(codeMalformed, "The file could not be read."))
		return
	}
	format := sheet.FormatOf(fh.Filename, data)
	t, err := sheet.Read(data, format)
	if err != nil {
		s.Error(w, r, dispatch.Invalid("file", "The file cannot be read as %s: is it a CSV or XLSX table with a header row?", string(format)).Wrap(err))
		return
	}
	m, err := dispatch.MapHeader(kind, t.Header, imp.Explicit)
	if err != nil {
		var de *dispatch.Error
		if errors.As(err, &de) {
			de.WithDetail(map[string]any{"header": t.Header, "fields": dispatch.ImportFieldNames(kind)})
		}
		s.Error(w, r, err)
		return
	}
	imp.Filename, imp.Format, imp.Content, imp.Header = fh.Filename, string(format), data, t.Header
	if err := s.Imports.CreateImport(r.Context(), actor, imp); err != nil {
		s.Error(w, r, err)
		return
	}
	status := http.StatusCreated
	if len(t.Rows) <= dispatch.ImportBatchSize {
		if err := s.Imports.RunImportJob(r.Context(), imp.ID, false); err != nil {
			s.Error(w, r, err)
			return
		}
	} else {
		if err := s.Imports.QueueImport(r.Context(), actor, imp.ID, false); err != nil {
			s.Error(w, r, err)
			return
		}
		status = http.StatusAccepted
	}
	view, err := s.Imports.FindImport(r.Context(), actor, imp.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/imports/%d", imp.ID))
	writeJSON(w, status, importView{Import: view, Ignored: m.Ignored})
}

func (s *Server) findImport(w http.ResponseWriter, r *http.Request) (*dispatch.User, *dispatch.Import, bool) {
	actor, ok := s.importActor(w, r)
	if !ok {
		return nil, nil, false
	}
	id, err := pathID(r, "id", "import")
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, false
	}
	imp, err := s.Imports.FindImport(r.Context(), actor, id)
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, false
	}
	return actor, imp, true
}

// handleImportView serves GET /api/imports/{id}: status, progress and counts.
func (s *Server) handleImportView(w http.ResponseWriter, r *http.Request) {
	if _, imp, ok := s.findImport(w, r); ok {
		writeJSON(w, http.StatusOK, importView{Import: imp})
	}
}

// importRowView is a staged row with its reason in the reader's language.
type importRowView struct {
	dispatch.ImportRow
	ReasonText string `json:"reason_text,omitempty"`
}

// handleImportRows serves GET /api/imports/{id}/rows?after=&limit=&rejected=1.
func (s *Server) handleImportRows(w http.ResponseWriter, r *http.Request) {
	actor, imp, ok := s.findImport(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, err := intParam(q, "limit", importPreviewRows, 1, 500)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	after, err := intParam(q, "after", 0, 0, 1<<30)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rows, err := s.Imports.ImportRows(r.Context(), actor, imp.ID, q.Get("rejected") == "1", after, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := langOf(r)
	out := make([]importRowView, len(rows))
	for i, row := range rows {
		row.Cells = nil
		out[i] = importRowView{ImportRow: row}
		if row.Reason != "" {
			out[i].ReasonText = dispatch.RejectText(row.Reason, row.ReasonArg, lang)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleImportRejects serves GET /api/imports/{id}/rejects?format=csv|xlsx:
// line, reason (in the reader's language) and the original columns.
func (s *Server) handleImportRejects(w http.ResponseWriter, r *http.Request) {
	actor, imp, ok := s.findImport(w, r)
	if !ok {
		return
	}
	format, err := sheet.ParseFormat(cmpOr(r.URL.Query().Get("format"), "csv"))
	if err != nil {
		s.Error(w, r, dispatch.Invalid("format", "The format must be csv or xlsx."))
		return
	}
	lang := langOf(r)
	if v := r.URL.Query().Get("lang"); locale.Supported(v) {
		lang = v // a download link carries the page's language
	}
	var recs [][]string
	width := 0
	for after := 0; ; {
		rows, err := s.Imports.ImportRows(r.Context(), actor, imp.ID, true, after, 5000)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		for _, row := range rows {
			recs = append(recs, dispatch.RejectsRecord(row, lang))
			width = max(width, len(row.Cells))
			after = row.Line
		}
		if len(rows) < 5000 {
			break
		}
	}
	header := dispatch.RejectsHeader(imp.Header, lang)
	for i := len(imp.Header) + 1; i <= width; i++ {
		header = append(header, "column "+strconv.Itoa(i))
	}
	s.writeSheet(w, r, format, fmt.Sprintf("qamqor-import-%d-rejects", imp.ID), "rejects", header, recs)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// handleImportApply serves POST /api/imports/{id}/apply: 200 with the
// counts once applied, or 202 when a large import applies in the
// background; 409 when it is not staged (still staging, already applied).
func (s *Server) handleImportApply(w http.ResponseWriter, r *http.Request) {
	actor, imp, ok := s.findImport(w, r)
	if !ok {
		return
	}
	if imp.Status != dispatch.ImportStaged {
		s.Error(w, r, dispatch.Errorf(dispatch.ECONFLICT, "Import %d is %s, not ready to apply.", imp.ID, imp.Status))
		return
	}
	if imp.RowsTotal > dispatch.ImportBatchSize {
		if err := s.Imports.QueueImport(r.Context(), actor, imp.ID, true); err != nil {
			s.Error(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, importView{Import: imp})
		return
	}
	if _, err := s.Imports.ApplyImport(r.Context(), actor, imp.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	view, err := s.Imports.FindImport(r.Context(), actor, imp.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, importView{Import: view})
}

// handleExport serves GET /api/export/{kind}?format=csv|xlsx&from=&to=,
// the same tables as `qamqor export`.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	kind, err := dispatch.ParseExportKind(chi.URLParam(r, "kind"))
	if err != nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no export %q.", chi.URLParam(r, "kind")))
		return
	}
	if err := dispatch.Require(actor, kind.Action()); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.Exports == nil {
		s.Error(w, r, unavailable("Export"))
		return
	}
	q := r.URL.Query()
	format, err := sheet.ParseFormat(cmpOr(q.Get("format"), "csv"))
	if err != nil {
		s.Error(w, r, dispatch.Invalid("format", "The format must be csv or xlsx."))
		return
	}
	var f dispatch.ExportFilter
	if q.Get("from") != "" || q.Get("to") != "" {
		rng, err := dispatch.ParseReportRange(q.Get("from"), q.Get("to"), s.now())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		f.Range = &rng
	}
	t, err := s.Exports.Export(r.Context(), actor, kind, f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	name := "qamqor-" + string(kind) + "-" + time.Now().In(astana).Format("2006-01-02")
	s.writeSheet(w, r, format, name, string(kind), t.Columns, t.Rows)
}

var astana = time.FixedZone("Asia/Astana", 5*3600)

// writeSheet sends a table as a download; the file is built in memory
// first so a failure is a clean error, not half a file.
func (s *Server) writeSheet(w http.ResponseWriter, r *http.Request, f sheet.Format, filename, sheetName string, header []string, rows [][]string) {
	var buf strings.Builder
	if err := sheet.Write(&buf, f, sheetName, header, rows); err != nil {
		s.Error(w, r, fmt.Errorf("write %s: %w", filename, err))
		return
	}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, filename, f))
	io.WriteString(w, buf.String())
}
