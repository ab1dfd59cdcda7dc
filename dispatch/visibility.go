package dispatch

// Field-level data minimisation: which fields of a pensioner's stop each
// role sees. This is the one home of the rule; stores apply it through
// MinimiseTeamStop before anything leaves the database layer, and the
// README's "who sees what" table states the same.
//
//   - Hotline operators, dispatchers and admins (ActViewPersonal) see
//     everything: they take the calls, plan and keep the registry.
//   - A team lead sees door details (entrance, floor, flat, access notes,
//     the immobile flag, the request's free-text notes) only on the route
//     of the active day (today in Astana) and only while it runs
//     (in_progress); the phone number only of the stop the team is at or
//     heading to. On today's route before the start and after the finish
//     the lead sees the address, the first name and the language; on any
//     other day, the address only.
//   - Any other role (a coordinator, say) sees addresses only.

// StopField is one field of a stop as a team's phone shows it.
type StopField string

// Stop fields. FieldAddress stands for what every role that sees the route
// sees: address, map point, kind, status, packages, ETA.
const (
	FieldAddress     StopField = "address"
	FieldName        StopField = "name" // full name
	FieldFirstName   StopField = "first_name"
	FieldPhone       StopField = "phone"
	FieldLanguage    StopField = "preferred_language"
	FieldEntrance    StopField = "entrance"
	FieldFloor       StopField = "floor"
	FieldFlat        StopField = "flat"
	FieldAccessNotes StopField = "access_notes"
	FieldImmobile    StopField = "immobile"
	FieldNotes       StopField = "notes"
)

// AllStopFields lists every stop field.
var AllStopFields = []StopField{FieldAddress, FieldName, FieldFirstName, FieldPhone, FieldLanguage,
	FieldEntrance, FieldFloor, FieldFlat, FieldAccessNotes, FieldImmobile, FieldNotes}

// doorDetails are the fields only a running route of the day shows a lead.
var doorDetails = []StopField{FieldEntrance, FieldFloor, FieldFlat, FieldAccessNotes, FieldImmobile, FieldNotes}

// StopScope is what, besides the role, decides what a stop shows.
type StopScope struct {
	RouteStatus RouteStatus
	RouteDay    string // YYYY-MM-DD of the route
	Today       string // YYYY-MM-DD in Astana now
	Active      bool   // the stop the team is at or heading to
}

// VisibleStopFields returns the fields of a stop u may see in scope s.
func VisibleStopFields(u *User, s StopScope) map[StopField]bool {
	out := map[StopField]bool{}
	if u == nil || !u.Active {
		return out
	}
	out[FieldAddress] = true
	if u.Can(ActViewPersonal) {
		for _, f := range AllStopFields {
			out[f] = f != FieldFirstName // the full name instead
		}
		return out
	}
	if u.Role != RoleTeamLead || s.RouteDay != s.Today {
		return out
	}
	switch s.RouteStatus {
	case RoutePublished, RouteFinished:
		out[FieldFirstName], out[FieldLanguage] = true, true
	case RouteInProgress:
		out[FieldFirstName], out[FieldLanguage] = true, true
		for _, f := range doorDetails {
			out[f] = true
		}
		out[FieldPhone] = s.Active
	}
	return out
}

// MinimiseTeamStop clears from ts every field not in fields. fullName is
// the pensioner's full name (ts.Visit.Name is set from it). A stop that
// shows nothing personal loses its visit altogether.
func MinimiseTeamStop(ts *TeamStop, fullName string, fields map[StopField]bool) {
	if !fields[FieldNotes] {
		ts.Notes = ""
	}
	v := ts.Visit
	if v == nil {
		return
	}
	switch {
	case fields[FieldName]:
		v.Name = fullName
	case fields[FieldFirstName]:
		v.Name = CareAddress{FullName: fullName}.FirstName()
	default:
		v.Name = ""
	}
	keep := func(f StopField, s *string) {
		if !fields[f] {
			*s = ""
		}
	}
	keep(FieldPhone, &v.Phone)
	keep(FieldLanguage, &v.Language)
	keep(FieldEntrance, &v.Entrance)
	keep(FieldFloor, &v.Floor)
	keep(FieldFlat, &v.Flat)
	keep(FieldAccessNotes, &v.AccessNotes)
	if !fields[FieldImmobile] {
		v.Immobile = false
	}
	personal := false
	for f, ok := range fields {
		personal = personal || (ok && f != FieldAddress && f != FieldNotes)
	}
	if !personal {
		ts.Visit = nil
	}
}

// ShownFields names the personal fields of fields, for the audit trail.
func ShownFields(fields map[StopField]bool) []StopField {
	var out []StopField
	for _, f := range AllStopFields {
		if fields[f] && f != FieldAddress {
			out = append(out, f)
		}
	}
	return out
}
