package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// Attendance: the lead's phone checks volunteers out when they leave early
// and corrects times; a dispatcher or the organisation's coordinator
// confirms the attendance once the route finishes, and only then do the
// hours count (dispatch/hours.go).

// registerAttendanceRoutes adds the attendance API.
func (s *Server) registerAttendanceRoutes(r chi.Router) {
	r.Get("/api/routes/{id}/attendance", s.handleAttendanceView)
	r.Put("/api/routes/{id}/attendance/{volunteer}", s.handleAttendanceSave)
	r.Post("/api/routes/{id}/attendance/{volunteer}/checkout", s.handleAttendanceCheckout)
	r.Post("/api/routes/{id}/attendance/confirm", s.handleAttendanceConfirm)
	r.Get("/attendance", s.handleAttendancePage)
	r.Post("/attendance/{id}/confirm", s.handleAttendanceConfirmForm)
	s.addPage(page{Path: "/attendance", TitleKey: "nav.attendance", Title: "Attendance to confirm", Action: dispatch.ActConfirmAttendance})
}

// attendancePage lists the finished routes whose times wait for a
// dispatcher or coordinator.
type attendancePage struct {
	L      ptext
	Sheets []*dispatch.AttendanceSheet
	Notice string
}

func (s *Server) handleAttendancePage(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActConfirmAttendance)
	if !ok {
		return
	}
	if s.Attendance == nil {
		s.Error(w, r, unavailable("Attendance"))
		return
	}
	sheets, err := s.Attendance.PendingAttendance(r.Context(), actor)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	l := ptext(pageLang(r))
	pg := attendancePage{L: l, Sheets: sheets}
	if r.URL.Query().Get("confirmed") != "" {
		pg.Notice = l.T("att.confirmed")
	}
	s.render(w, r, http.StatusOK, "attendance", pg)
}

func (s *Server) handleAttendanceConfirmForm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := s.attendanceRoute(w, r)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := s.Attendance.ConfirmAttendance(r.Context(), actor, id); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/attendance?confirmed=1", http.StatusSeeOther)
}

// attendanceRoute is the route id when the user is logged in and the
// store is wired; the store decides who may see or change which route.
func (s *Server) attendanceRoute(w http.ResponseWriter, r *http.Request) (*dispatch.User, int64, bool) {
	actor := userFrom(r.Context())
	if s.Attendance == nil {
		s.Error(w, r, unavailable("Attendance"))
		return nil, 0, false
	}
	if err := dispatch.RequireAny(actor, dispatch.ActViewTeamWork, dispatch.ActViewOrgWork, dispatch.ActConfirmAttendance); err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	id, err := pathID(r, "id", "route")
	if err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	return actor, id, true
}

func (s *Server) handleAttendanceView(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := s.attendanceRoute(w, r)
	if !ok {
		return
	}
	sheet, err := s.Attendance.FindAttendance(r.Context(), actor, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sheet)
}

func (s *Server) handleAttendanceSave(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := s.attendanceRoute(w, r)
	if !ok {
		return
	}
	vid, err := pathID(r, "volunteer", "volunteer")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[dispatch.AttendanceInput](s, w, r)
	if !ok {
		return
	}
	sheet, err := s.Attendance.SaveAttendance(r.Context(), actor, id, vid, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sheet)
}

// handleAttendanceCheckout checks a volunteer out now (they leave early).
func (s *Server) handleAttendanceCheckout(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := s.attendanceRoute(w, r)
	if !ok {
		return
	}
	vid, err := pathID(r, "volunteer", "volunteer")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sheet, err := s.Attendance.FindAttendance(r.Context(), actor, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var row *dispatch.Attendance
	for i := range sheet.Rows {
		if sheet.Rows[i].VolunteerID == vid {
			row = &sheet.Rows[i]
		}
	}
	if row == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "Volunteer %d is not on route %d's attendance.", vid, id))
		return
	}
	if row.CheckOut != nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ECONFLICT, "Volunteer %d has already checked out.", vid))
		return
	}
	now := s.now()
	sheet, err = s.Attendance.SaveAttendance(r.Context(), actor, id, vid, dispatch.AttendanceInput{CheckIn: &row.CheckIn, CheckOut: &now})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sheet)
}

func (s *Server) handleAttendanceConfirm(w http.ResponseWriter, r *http.Request) {
	actor, id, ok := s.attendanceRoute(w, r)
	if !ok {
		return
	}
	sheet, err := s.Attendance.ConfirmAttendance(r.Context(), actor, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sheet)
}

func init() {
	describe(
		pageOp("GET", "/attendance", "Attendance to confirm (finished routes)", "dispatcher, coordinator"),
		apiOp{Method: "POST", Pattern: "/attendance/{id}/confirm", Summary: "Confirm a route's attendance (form)", Tag: "pages",
			Roles: "dispatcher, coordinator", BodyType: "application/x-www-form-urlencoded", Status: 303},
	)
}
