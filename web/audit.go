package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// The admins' security page and API: search the audit trail (and export
// it as CSV), set which roles need two-factor login, erase a pensioner.

// registerAuditRoutes adds the audit trail, erasure and the security page.
func (s *Server) registerAuditRoutes(r chi.Router) {
	s.addPage(page{Path: "/security", TitleKey: "nav.security", Title: "Security and privacy", Action: dispatch.ActViewAudit})
	r.Get("/api/audit", s.handleAuditList)
	r.Get("/api/audit.csv", s.handleAuditCSV)
	r.Post("/api/privacy/erase", s.handleErase)
	r.Get("/security", s.handleSecurityPage)
	r.Post("/security/settings", s.handleSecuritySettingsForm)
	r.Post("/security/erase", s.handleEraseForm)
}

// auditFilter reads the search of the audit trail from the query.
func auditFilter(q url.Values) (dispatch.AuditFilter, error) {
	f := dispatch.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type")}
	num := func(name string, dst *int64) error {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return dispatch.Invalid(name, "%s must be a whole number.", name)
			}
			*dst = n
		}
		return nil
	}
	var limit, offset int64
	for name, dst := range map[string]*int64{"object_id": &f.ObjectID, "limit": &limit, "offset": &offset} {
		if err := num(name, dst); err != nil {
			return f, err
		}
	}
	f.Limit, f.Offset = int(limit), int(offset)
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			d, err := dispatch.ParseLocalDate(name, v)
			if err != nil {
				return f, err
			}
			*dst = d
		}
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the whole last day
	}
	return f, f.Normalize()
}

// auditPage is the JSON answer of GET /api/audit.
type auditPage struct {
	Items []dispatch.AuditEntry `json:"items"`
	Total int                   `json:"total"`
}

func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActViewAudit)
	if !ok {
		return
	}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items, total, err := s.Audit.FindAudit(r.Context(), actor, f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if items == nil {
		items = []dispatch.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, auditPage{Items: items, Total: total})
}

// maxAuditExport bounds one CSV export.
const maxAuditExport = 100000

// handleAuditCSV exports every matching row (newest first, at most
// maxAuditExport), a page at a time.
func (s *Server) handleAuditCSV(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActViewAudit)
	if !ok {
		return
	}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f.Limit, f.Offset = dispatch.MaxAuditPage, 0
	first, total, err := s.Audit.FindAudit(r.Context(), actor, f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "actor_id", "actor", "action", "object_type", "object_id", "source", "detail"})
	page := first
	for n := 0; ; {
		for _, e := range page {
			actorID, objID := "", ""
			if e.ActorID != nil {
				actorID = strconv.FormatInt(*e.ActorID, 10)
			}
			if e.ObjectID != nil {
				objID = strconv.FormatInt(*e.ObjectID, 10)
			}
			cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.In(dispatch.CityZone()).Format(time.RFC3339), actorID, csvSafe(e.Actor),
				csvSafe(e.Action), csvSafe(e.ObjectType), objID, csvSafe(e.Source), csvSafe(e.Detail)})
		}
		n += len(page)
		if len(page) < f.Limit || n >= total || n >= maxAuditExport {
			break
		}
		f.Offset = n
		if page, _, err = s.Audit.FindAudit(r.Context(), actor, f); err != nil {
			s.Logger.Error("audit export", "err", err)
			break
		}
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from running a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// eraseInput is the body of POST /api/privacy/erase.
type eraseInput struct {
	CareAddressID int64 `json:"care_address_id"`
}

func (s *Server) handleErase(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActErase)
	if !ok {
		return
	}
	in, ok := decodeBody[eraseInput](s, w, r)
	if !ok {
		return
	}
	if in.CareAddressID <= 0 {
		s.Error(w, r, dispatch.Invalid("care_address_id", "Give the id of the care address to erase."))
		return
	}
	rep, err := s.Privacy.EraseCareAddress(r.Context(), actor, in.CareAddressID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// securityPage is the data of the security page.
type securityPage struct {
	Query    url.Values
	Entries  []dispatch.AuditEntry
	Total    int
	CSV      string
	Require  map[dispatch.Role]bool
	Roles    []dispatch.Role
	Notice   string
	Failed   string
	Erasure  *dispatch.ErasureReport
	Settings bool // the admin may change settings
}

func (s *Server) handleSecurityPage(w http.ResponseWriter, r *http.Request) {
	s.serveSecurityPage(w, r, http.StatusOK, "", "", nil)
}

func (s *Server) serveSecurityPage(w http.ResponseWriter, r *http.Request, status int, notice, failed string, rep *dispatch.ErasureReport) {
	actor, ok := s.actorFor(w, r, dispatch.ActViewAudit)
	if !ok {
		return
	}
	p := securityPage{Query: r.URL.Query(), Roles: dispatch.TwoFactorRoles, Require: map[dispatch.Role]bool{},
		Notice: notice, Failed: failed, Erasure: rep, Settings: actor.Can(dispatch.ActManageUsers)}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		p.Failed = tr(r, dispatch.ErrorMessage(err))
		f = dispatch.AuditFilter{}
		_ = f.Normalize()
	}
	if p.Entries, p.Total, err = s.Audit.FindAudit(r.Context(), actor, f); err != nil {
		s.Error(w, r, err)
		return
	}
	p.CSV = "/api/audit.csv?" + r.URL.RawQuery
	if s.TwoFactor != nil {
		st, err := s.TwoFactor.SecuritySettings(r.Context())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		for _, role := range st.Require2FA {
			p.Require[role] = true
		}
	}
	s.render(w, r, status, "security", p)
}

func (s *Server) handleSecuritySettingsForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActManageUsers)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	var st dispatch.SecuritySettings
	for _, v := range r.PostForm["require_2fa"] {
		st.Require2FA = append(st.Require2FA, dispatch.Role(v))
	}
	if s.TwoFactor == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "Two-factor login is not configured on this server."))
		return
	}
	if err := s.TwoFactor.SaveSecuritySettings(r.Context(), actor, st); err != nil {
		if dispatch.ErrorCode(err) == dispatch.EINVALID {
			s.serveSecurityPage(w, r, http.StatusUnprocessableEntity, "", tr(r, dispatch.ErrorMessage(err)), nil)
			return
		}
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/security", http.StatusSeeOther)
}

func (s *Server) handleEraseForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActErase)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("care_address_id")), 10, 64)
	if err != nil || id <= 0 {
		s.serveSecurityPage(w, r, http.StatusUnprocessableEntity, "", tr(r, "Give the id of the care address to erase."), nil)
		return
	}
	if r.PostForm.Get("confirm") != strconv.FormatInt(id, 10) {
		s.serveSecurityPage(w, r, http.StatusUnprocessableEntity, "", tr(r, "Type the id again to confirm: erasure cannot be undone."), nil)
		return
	}
	rep, err := s.Privacy.EraseCareAddress(r.Context(), actor, id)
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.ENOTFOUND || code == dispatch.EINVALID {
			s.serveSecurityPage(w, r, http.StatusUnprocessableEntity, "", tr(r, dispatch.ErrorMessage(err)), nil)
			return
		}
		s.Error(w, r, err)
		return
	}
	s.serveSecurityPage(w, r, http.StatusOK, tr(r, "Care address %d was erased.", id), "", rep)
}

func init() {
	q := []apiParam{{Name: "actor", Description: "username"}, {Name: "action", Description: "prefix, e.g. read or request."},
		{Name: "object_type"}, {Name: "object_id", Type: "integer"}, {Name: "from", Description: "YYYY-MM-DD"}, {Name: "to", Description: "YYYY-MM-DD, inclusive"},
		{Name: "limit", Type: "integer"}, {Name: "offset", Type: "integer"}}
	describe(
		apiOp{Method: "GET", Pattern: "/api/audit", Summary: "Search the audit trail, newest first", Tag: "security", Roles: "admin", Query: q, Resp: auditPage{}},
		apiOp{Method: "GET", Pattern: "/api/audit.csv", Summary: "Export the matching audit trail as CSV", Tag: "security", Roles: "admin", Query: q, RespType: "text/csv"},
		apiOp{Method: "POST", Pattern: "/api/privacy/erase", Summary: "Erase a pensioner's personal data everywhere (irreversible)", Tag: "security", Roles: "admin",
			Body: eraseInput{}, Resp: dispatch.ErasureReport{}},
		pageOp("GET", "/security", "Security and privacy page: audit search, two-factor settings, erasure", "admin"),
		apiOp{Method: "POST", Pattern: "/security/settings", Summary: "Two-factor settings (form)", Tag: "pages", Roles: "admin",
			BodyType: "application/x-www-form-urlencoded", RespType: "text/html", Status: 303},
		apiOp{Method: "POST", Pattern: "/security/erase", Summary: "Erase a pensioner (form)", Tag: "pages", Roles: "admin",
			BodyType: "application/x-www-form-urlencoded", RespType: "text/html"},
	)
}
