package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
)

// The registry: care addresses (dispatchers and admins), teams, volunteers,
// organisations and users (admins). The stores check the permissions that
// need an actor; lists whose store method has none are checked here.
//
// Team routes are registered flat (not under r.Route("/api/teams")) because
// execute.go already registers /api/teams/{id}/route and /position on the
// same router; chi merges flat patterns into one tree without conflict.

// registerRegistryRoutes adds the registry page and its JSON API.
func (s *Server) registerRegistryRoutes(r chi.Router) {
	r.Get("/registry", s.handleRegistryPage)
	s.addPage(page{Path: "/registry", TitleKey: "nav.registry", Title: "Registry", Action: dispatch.ActEditCare})
	// Coordinators (only they have ActViewOrgWork) get the registry too,
	// with their organisation's teams and volunteers only.
	s.addPage(page{Path: "/registry", TitleKey: "nav.registry", Title: "Registry", Action: dispatch.ActViewOrgWork})

	r.Get("/api/care-addresses", s.handleCareList)
	r.Post("/api/care-addresses", s.handleCareSave)
	r.Get("/api/care-addresses/{id}", s.handleCareView)
	r.Put("/api/care-addresses/{id}", s.handleCareSave)

	r.Get("/api/teams", s.handleTeamList)
	r.Post("/api/teams", s.handleTeamSave)
	r.Get("/api/teams/{id}", s.handleTeamView)
	r.Put("/api/teams/{id}", s.handleTeamSave)

	r.Get("/api/volunteers", s.handleVolunteerList)
	r.Post("/api/volunteers", s.handleVolunteerSave)
	r.Put("/api/volunteers/{id}", s.handleVolunteerSave)

	r.Get("/api/organisations", s.handleOrganisationList)
	r.Post("/api/organisations", s.handleOrganisationSave)
	r.Put("/api/organisations/{id}", s.handleOrganisationSave)

	r.Get("/api/users", s.handleUserList)
	r.Post("/api/users", s.handleUserSave)
	r.Put("/api/users/{id}", s.handleUserSave)
}

// maxSearchLen bounds the q parameter of registry lists.
const maxSearchLen = 200

// pageParam reads q, offset and limit.
func pageParam(r *http.Request) (dispatch.Page, error) {
	q := r.URL.Query()
	p := dispatch.Page{Q: strings.TrimSpace(q.Get("q"))}
	if !utf8.ValidString(p.Q) || utf8.RuneCountInString(p.Q) > maxSearchLen {
		return p, dispatch.Invalid("q", "The search text is too long or not valid text.")
	}
	var err error
	if p.Limit, err = intParam(q, "limit", defaultListLimit, 1, maxListLimit); err != nil {
		return p, err
	}
	if p.Offset, err = intParam(q, "offset", 0, 0, 1<<31-1); err != nil {
		return p, err
	}
	return p, nil
}

// unavailable is returned when cmd/qamqor wired no store for a feature.
func unavailable(what string) error {
	return dispatch.Errorf(codeUnavailable, "%s is not configured on this server.", dispatch.Thing(what))
}

// writeList writes a page of items with the total in X-Total-Count.
func writeList[T any](w http.ResponseWriter, items []T, total int) {
	if items == nil {
		items = []T{}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, items)
}

// savedStatus is 201 for a POST (a new record) and 200 for a PUT.
func savedStatus(r *http.Request) int {
	if r.Method == http.MethodPost {
		return http.StatusCreated
	}
	return http.StatusOK
}

// idForSave is 0 for a POST and the path id for a PUT.
func idForSave(r *http.Request, what string) (int64, error) {
	if r.Method == http.MethodPost {
		return 0, nil
	}
	return pathID(r, "id", what)
}

// registryActor is the user when they may do act and the registry is
// wired; otherwise it writes the problem and returns false.
func (s *Server) registryActor(w http.ResponseWriter, r *http.Request, act dispatch.Action) (*dispatch.User, bool) {
	actor, ok := s.actorFor(w, r, act)
	if ok && s.Registry == nil {
		s.Error(w, r, unavailable("The registry"))
		return nil, false
	}
	return actor, ok
}

// usersActor is registryActor for user management.
func (s *Server) usersActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor, ok := s.actorFor(w, r, dispatch.ActManageUsers)
	if ok && s.Users == nil {
		s.Error(w, r, unavailable("User management"))
		return nil, false
	}
	return actor, ok
}

// servePage reads q, offset and limit, calls find and writes its page with
// X-Total-Count.
func servePage[T any](s *Server, w http.ResponseWriter, r *http.Request, find func(dispatch.Page) ([]T, int, error)) {
	p, err := pageParam(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items, total, err := find(p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(w, items, total)
}

// decodeSave reads the id of a POST (0) or PUT (the path id, naming what),
// the If-Match version of a PUT (the store refuses a PUT without one) and
// decodes the body into an I; on failure it writes the problem and returns
// false.
func decodeSave[I any](s *Server, w http.ResponseWriter, r *http.Request, what string) (int64, dispatch.Version, I, bool) {
	var zero I
	id, err := idForSave(r, what)
	if err != nil {
		s.Error(w, r, err)
		return 0, 0, zero, false
	}
	var version dispatch.Version
	if id != 0 {
		if version, err = ifMatch(r); err != nil {
			s.Error(w, r, err)
			return 0, 0, zero, false
		}
	}
	in, ok := decodeBody[I](s, w, r)
	return id, version, in, ok
}

// convert maps f over items.
func convert[T, J any](items []T, f func(T) J) []J {
	out := make([]J, len(items))
	for i, v := range items {
		out[i] = f(v)
	}
	return out
}

// latLon checks a pin given as two optional numbers.
func latLon(lat, lon *float64, field string) (orb.Point, error) {
	if lat == nil || lon == nil {
		return orb.Point{}, dispatch.Invalid(field, "Put the pin on the map (or give lat and lon).")
	}
	if !(*lat >= -90 && *lat <= 90 && *lon >= -180 && *lon <= 180) {
		return orb.Point{}, dispatch.Invalid(field, "Coordinates are out of range.")
	}
	return orb.Point{*lon, *lat}, nil
}

// registryPage is what the registry template needs: the tabs the user's
// role may open and the choices of the forms.
type registryPage struct {
	Tabs      []string
	Leaflet   bool
	OrgKinds  []string
	Roles     []dispatch.Role
	Languages []string
	TileURL   string
}

func (s *Server) handleRegistryPage(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if err := dispatch.RequireAny(u, dispatch.ActEditCare, dispatch.ActManageOrgPeople); err != nil {
		s.Error(w, r, err)
		return
	}
	d := registryPage{OrgKinds: dispatch.OrganisationKinds, Roles: dispatch.Roles, Languages: []string{"kk", "ru", "en"}, TileURL: s.TileURL}
	if u.Can(dispatch.ActEditCare) {
		d.Tabs = append(d.Tabs, "care")
	}
	if dispatch.RequireRegistryPeople(u) == nil {
		d.Tabs = append(d.Tabs, "teams", "volunteers")
	}
	if u.Can(dispatch.ActManageOrgs) {
		d.Tabs = append(d.Tabs, "organisations")
	}
	if u.Can(dispatch.ActManageUsers) {
		d.Tabs = append(d.Tabs, "users")
	}
	_, d.Leaflet = s.assets.hashes["vendor/leaflet/leaflet.js"]
	if _, css := s.assets.hashes["vendor/leaflet/leaflet.css"]; !css {
		d.Leaflet = false
	}
	s.render(w, r, http.StatusOK, "registry", d)
}

// careJSON is a care address with its pin as lat/lon.
type careJSON struct {
	*dispatch.CareAddress
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

func newCareJSON(c *dispatch.CareAddress) careJSON {
	return careJSON{CareAddress: c, Lat: c.Location.Lat(), Lon: c.Location.Lon()}
}

// careInput is the body of POST and PUT /api/care-addresses. Active is
// optional: a new address is active unless it says otherwise.
type careInput struct {
	FullName          string   `json:"full_name"`
	Phone             string   `json:"phone"`
	Address           string   `json:"address"`
	Entrance          string   `json:"entrance"`
	Floor             string   `json:"floor"`
	Flat              string   `json:"flat"`
	Lat               *float64 `json:"lat"`
	Lon               *float64 `json:"lon"`
	PreferredLanguage string   `json:"preferred_language"`
	Needs             []string `json:"needs"`
	Immobile          bool     `json:"immobile"`
	MobilityNotes     string   `json:"mobility_notes"`
	AccessNotes       string   `json:"access_notes"`
	Consent           bool     `json:"consent"`
	Active            *bool    `json:"active"`
}

func (in careInput) care(id int64) (*dispatch.CareAddress, error) {
	pt, err := latLon(in.Lat, in.Lon, "lat")
	if err != nil {
		return nil, err
	}
	// The rules of a care address live in dispatch.CareAddress.Validate,
	// which the store applies.
	c := &dispatch.CareAddress{ID: id, FullName: in.FullName, Phone: in.Phone, AddressText: in.Address,
		Entrance: in.Entrance, Floor: in.Floor, Flat: in.Flat,
		Location: pt, PreferredLanguage: in.PreferredLanguage, Needs: in.Needs, Immobile: in.Immobile,
		MobilityNotes: in.MobilityNotes, AccessNotes: in.AccessNotes, Consent: in.Consent, Active: in.Active == nil || *in.Active}
	return c, nil
}

// handleCareList serves GET /api/care-addresses?q=&offset=&limit=; the
// store redacts personal data for roles that may not see it and audits the
// reads.
func (s *Server) handleCareList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.registryActor(w, r, dispatch.ActEditCare)
	if !ok {
		return
	}
	servePage(s, w, r, func(p dispatch.Page) ([]careJSON, int, error) {
		cs, total, err := s.Registry.FindCareAddresses(r.Context(), actor, p)
		return convert(cs, newCareJSON), total, err
	})
}

func (s *Server) handleCareView(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.registryActor(w, r, dispatch.ActEditCare)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "care address")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.Registry.FindCareAddressByID(r.Context(), actor, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !actor.Can(dispatch.ActViewPersonal) {
		rc := c.Redacted()
		c = &rc
	}
	writeVersioned(w, http.StatusOK, newCareJSON(c), c.Version)
}

// handleCareSave serves POST /api/care-addresses (201) and PUT
// /api/care-addresses/{id} (200); deactivating is a PUT with active false.
func (s *Server) handleCareSave(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.registryActor(w, r, dispatch.ActEditCare)
	if !ok {
		return
	}
	id, version, in, ok := decodeSave[careInput](s, w, r, "care address")
	if !ok {
		return
	}
	c, err := in.care(id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c.Version = version
	if err := s.Registry.SaveCareAddress(r.Context(), actor, c); err != nil {
		s.Error(w, r, err)
		return
	}
	if r.Method == http.MethodPost {
		w.Header().Set("Location", "/api/care-addresses/"+strconv.FormatInt(c.ID, 10))
	}
	writeVersioned(w, savedStatus(r), newCareJSON(c), c.Version)
}

// teamJSON is a team with its base as lat/lon.
type teamJSON struct {
	*dispatch.Team
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

func newTeamJSON(t *dispatch.Team) teamJSON {
	if t.MemberIDs == nil {
		t.MemberIDs = []int64{}
	}
	return teamJSON{Team: t, Lat: t.Base.Lat(), Lon: t.Base.Lon()}
}

// teamInput is the body of POST and PUT /api/teams.
type teamInput struct {
	Name             string   `json:"name"`
	OrganisationID   int64    `json:"organisation_id"`
	LeadVolunteerID  *int64   `json:"lead_volunteer_id"`
	Lat              *float64 `json:"lat"`
	Lon              *float64 `json:"lon"`
	HasVehicle       bool     `json:"has_vehicle"`
	CapacityPackages int      `json:"capacity_packages"`
	Skills           []string `json:"skills"`
	Languages        []string `json:"languages"`
	ShiftStart       string   `json:"shift_start"`
	ShiftEnd         string   `json:"shift_end"`
	Color            string   `json:"color"`
	Active           *bool    `json:"active"`
	MemberIDs        []int64  `json:"member_ids"`
}

func (in teamInput) team(id int64) (*dispatch.Team, error) {
	base, err := latLon(in.Lat, in.Lon, "base")
	if err != nil {
		return nil, err
	}
	if len(in.MemberIDs) > 100 {
		return nil, dispatch.Invalid("member_ids", "A team has 100 members at most.")
	}
	t := &dispatch.Team{ID: id, Name: in.Name, OrganisationID: in.OrganisationID, LeadVolunteerID: in.LeadVolunteerID,
		Base: base, HasVehicle: in.HasVehicle, CapacityPackages: in.CapacityPackages, Skills: cleanList(in.Skills),
		Languages: cleanList(in.Languages), ShiftStart: in.ShiftStart, ShiftEnd: in.ShiftEnd, Color: in.Color,
		Active: in.Active == nil || *in.Active, MemberIDs: in.MemberIDs}
	return t, nil
}

// peopleActor is registryActor for the volunteer and team registry:
// admins for every organisation, coordinators for their own
// (dispatch.RequireRegistryPeople; lists are scoped with OrgScope).
func (s *Server) peopleActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireRegistryPeople(actor); err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	if s.Registry == nil {
		s.Error(w, r, unavailable("The registry"))
		return nil, false
	}
	return actor, true
}

func (s *Server) handleTeamList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.peopleActor(w, r)
	if !ok {
		return
	}
	servePage(s, w, r, func(p dispatch.Page) ([]teamJSON, int, error) {
		p.Org = dispatch.OrgScope(actor)
		ts, total, err := s.Registry.FindTeamsPage(r.Context(), p)
		return convert(ts, newTeamJSON), total, err
	})
}

func (s *Server) handleTeamView(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.peopleActor(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "team")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	t, err := s.Registry.FindTeamByID(r.Context(), id)
	if err == nil && !dispatch.InOrgScope(actor, t.OrganisationID) {
		err = dispatch.Errorf(dispatch.ENOTFOUND, "Team %d not found.", id)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeVersioned(w, http.StatusOK, newTeamJSON(t), t.Version)
}

func (s *Server) handleTeamSave(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.peopleActor(w, r)
	if !ok {
		return
	}
	id, version, in, ok := decodeSave[teamInput](s, w, r, "team")
	if !ok {
		return
	}
	t, err := in.team(id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	t.Version = version
	if err := s.Registry.SaveTeam(r.Context(), actor, t); err != nil {
		s.Error(w, r, err)
		return
	}
	writeVersioned(w, savedStatus(r), newTeamJSON(t), t.Version)
}

// cleanList trims the items of a list and drops empty ones.
func cleanList(in []string) []string {
	out := []string{}
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// volunteerJSON adds the minor flag the registry shows as a badge.
type volunteerJSON struct {
	*dispatch.Volunteer
	Minor bool `json:"minor"`
}

func (s *Server) handleVolunteerList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.peopleActor(w, r)
	if !ok {
		return
	}
	servePage(s, w, r, func(p dispatch.Page) ([]volunteerJSON, int, error) {
		p.Org = dispatch.OrgScope(actor)
		vs, total, err := s.Registry.FindVolunteers(r.Context(), p)
		if err != nil {
			return nil, 0, err
		}
		if s.Audit != nil && len(vs) > 0 {
			ids := make([]int64, len(vs))
			for i, v := range vs {
				ids[i] = v.ID
			}
			// Phones and birth years (minors among them) were read.
			if err := s.Audit.RecordReads(r.Context(), actor, "volunteer", ids, "volunteer listed: phone, birth year"); err != nil {
				return nil, 0, err
			}
		}
		now := s.now()
		return convert(vs, func(v *dispatch.Volunteer) volunteerJSON {
			return volunteerJSON{Volunteer: v, Minor: v.Minor(now)}
		}), total, nil
	})
}

// volunteerInput is the body of POST and PUT /api/volunteers.
type volunteerInput struct {
	FullName       string   `json:"full_name"`
	BirthYear      int      `json:"birth_year"`
	Languages      []string `json:"languages"`
	Phone          string   `json:"phone"`
	OrganisationID int64    `json:"organisation_id"`
	Active         *bool    `json:"active"`
}

func (s *Server) handleVolunteerSave(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.peopleActor(w, r)
	if !ok {
		return
	}
	id, version, in, ok := decodeSave[volunteerInput](s, w, r, "volunteer")
	if !ok {
		return
	}
	if len(in.Phone) > 40 {
		s.Error(w, r, dispatch.Invalid("phone", "The phone number is too long."))
		return
	}
	v := &dispatch.Volunteer{ID: id, FullName: in.FullName, BirthYear: in.BirthYear, Languages: cleanList(in.Languages),
		Phone: strings.TrimSpace(in.Phone), OrganisationID: in.OrganisationID, Active: in.Active == nil || *in.Active, Version: version}
	if err := s.Registry.SaveVolunteer(r.Context(), actor, v); err != nil {
		s.Error(w, r, err)
		return
	}
	writeVersioned(w, savedStatus(r), volunteerJSON{Volunteer: v, Minor: v.Minor(s.now())}, v.Version)
}

func (s *Server) handleOrganisationList(w http.ResponseWriter, r *http.Request) {
	// Coordinators list their own organisation (for the team and
	// volunteer forms); admins every one.
	actor := userFrom(r.Context())
	if err := dispatch.RequireAny(actor, dispatch.ActManageOrgs, dispatch.ActManageOrgPeople); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.Registry == nil {
		s.Error(w, r, unavailable("The registry"))
		return
	}
	servePage(s, w, r, func(p dispatch.Page) ([]*dispatch.Organisation, int, error) {
		p.Org = dispatch.OrgScope(actor)
		return s.Registry.FindOrganisations(r.Context(), p)
	})
}

// organisationInput is the body of POST and PUT /api/organisations.
type organisationInput struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Phone string `json:"phone"`
}

func (s *Server) handleOrganisationSave(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.registryActor(w, r, dispatch.ActManageOrgs)
	if !ok {
		return
	}
	id, version, in, ok := decodeSave[organisationInput](s, w, r, "organisation")
	if !ok {
		return
	}
	if len(in.Phone) > 40 {
		s.Error(w, r, dispatch.Invalid("phone", "The phone number is too long."))
		return
	}
	o := &dispatch.Organisation{ID: id, Name: in.Name, Kind: in.Kind, Phone: strings.TrimSpace(in.Phone), Version: version}
	if err := s.Registry.SaveOrganisation(r.Context(), actor, o); err != nil {
		s.Error(w, r, err)
		return
	}
	writeVersioned(w, savedStatus(r), o, o.Version)
}

func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.usersActor(w, r)
	if !ok {
		return
	}
	servePage(s, w, r, func(p dispatch.Page) ([]*dispatch.User, int, error) {
		return s.Users.FindUsers(r.Context(), actor, p)
	})
}

// userInput is the body of POST and PUT /api/users. Password is required
// for a new user; on a PUT a non-empty one resets it. The username of an
// existing user does not change.
type userInput struct {
	Username       string        `json:"username"`
	FullName       string        `json:"full_name"`
	Role           dispatch.Role `json:"role"`
	TeamID         *int64        `json:"team_id"`
	OrganisationID *int64        `json:"organisation_id"`
	Active         *bool         `json:"active"`
	Password       string        `json:"password"`
}

func (s *Server) handleUserSave(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.usersActor(w, r)
	if !ok {
		return
	}
	id, version, in, ok := decodeSave[userInput](s, w, r, "user")
	if !ok {
		return
	}
	u := &dispatch.User{ID: id, Username: in.Username, FullName: in.FullName, Role: in.Role, TeamID: in.TeamID,
		OrganisationID: in.OrganisationID, Active: in.Active == nil || *in.Active, Version: version}
	if id != 0 && u.Username == "" {
		u.Username = "unchanged" // the store keeps the stored username
	}
	if err := s.Users.SaveUser(r.Context(), actor, u, in.Password); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.hub != nil {
		s.hub.Recheck() // the user's live connections may have lost their grant
	}
	writeVersioned(w, savedStatus(r), u, u.Version)
}
