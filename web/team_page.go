package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// The team page is the team lead's phone in the field: today's route with
// its stops, a map, navigation links and the buttons that report progress.
// The page itself is static; team.js reads GET /api/teams/{id}/route, the
// roster from GET /api/teams/{id}/members and live events from /ws, and
// sends updates through an outbox in localStorage so a bad connection loses
// nothing.

// registerTeamRoutes adds the team page, the team roster and the map
// settings map pages read.
func (s *Server) registerTeamRoutes(r chi.Router) {
	r.Get("/team", s.handleTeamPage)
	r.Get("/api/teams/{id}/members", s.handleTeamMembers)
	r.Get("/api/map-config", s.handleMapConfig)
	s.addPage(page{Path: "/team", TitleKey: "nav.team", Title: "My route", Action: dispatch.ActReportProgress})
	// A lead checks tomorrow's route the evening before (team.js reads
	// day=tomorrow as Astana's next day).
	s.addPage(page{Path: "/team?day=tomorrow", TitleKey: "nav.team_tomorrow", Title: "Tomorrow's route", Action: dispatch.ActReportProgress})
}

// defaultTileURL is used when Config.TileURL is empty.
const defaultTileURL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

func (s *Server) tileURL() string {
	if s.TileURL != "" {
		return s.TileURL
	}
	return defaultTileURL
}

// teamPage is the data of templates/team.html.
type teamPage struct {
	// TeamID is the team shown; 0 when a dispatcher has not picked one or
	// a team lead is not assigned to a team.
	TeamID int64
	// CanPick is true for dispatchers, who may look at any team.
	CanPick bool
	// NoTeam is true for a team lead without a team.
	NoTeam bool
	// SharePosition is true for the team's lead: their phone reports the
	// team's position while the route is active. A dispatcher looking at a
	// team must not.
	SharePosition bool
	TileURL       string
}

// handleTeamPage serves GET /team[?team=ID]: team leads see their own team;
// dispatchers pick one with ?team=ID.
func (s *Server) handleTeamPage(w http.ResponseWriter, r *http.Request) {
	actor := userFrom(r.Context())
	if err := dispatch.RequireFieldWork(actor); err != nil {
		s.Error(w, r, err)
		return
	}
	data := teamPage{CanPick: actor.Can(dispatch.ActChangeRequests), TileURL: s.tileURL()}
	data.SharePosition = !data.CanPick && actor.Can(dispatch.ActReportProgress)
	if v := r.URL.Query().Get("team"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.Error(w, r, dispatch.Invalid("team", "team must be a team id (a whole number above 0)."))
			return
		}
		if err := dispatch.RequireTeamView(actor, id); err != nil {
			s.Error(w, r, err)
			return
		}
		data.TeamID = id
	} else if !data.CanPick {
		if actor.TeamID == nil {
			data.NoTeam = true
		} else {
			data.TeamID = *actor.TeamID
		}
	}
	s.render(w, r, http.StatusOK, "team", data)
}

// teamDirectory finds a team and volunteers: the part of
// dispatch.RegistryStore the roster needs. Services.Registry is asked
// first, then any other wired service that implements it (the PostgreSQL
// store implements all of them).
type teamDirectory interface {
	FindTeamByID(ctx context.Context, id int64) (*dispatch.Team, error)
	FindVolunteers(ctx context.Context, p dispatch.Page) ([]*dispatch.Volunteer, int, error)
}

func (s *Server) teamDirectory() teamDirectory {
	for _, svc := range []any{s.Registry, s.Execute, s.Plan.Routes, s.Requests, s.Care} {
		if d, ok := svc.(teamDirectory); ok {
			return d
		}
	}
	return nil
}

// teamMember is one volunteer of a team as the roster checklist shows it:
// no phone, no birth year.
type teamMember struct {
	ID       int64  `json:"id"`
	FullName string `json:"full_name"`
	Lead     bool   `json:"lead"`
	Active   bool   `json:"active"`
}

// teamMembers is the answer of GET /api/teams/{id}/members.
type teamMembers struct {
	TeamID   int64        `json:"team_id"`
	TeamName string       `json:"team_name"`
	Members  []teamMember `json:"members"`
}

// volunteerPage is how many volunteers one directory read returns; the
// registry store caps pages at 500.
const volunteerPage = 500

// handleTeamMembers serves GET /api/teams/{id}/members: the team's
// volunteers (ids and names) for the roster checklist before a route
// starts. Only the team's lead and dispatchers may read it.
func (s *Server) handleTeamMembers(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.teamActor(w, r, dispatch.RequireTeamWork)
	if !ok {
		return
	}
	dir := s.teamDirectory()
	if dir == nil {
		s.Error(w, r, dispatch.Errorf(codeUnavailable, "Team rosters are not available on this server."))
		return
	}
	team, err := dir.FindTeamByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := membersOf(r.Context(), dir, team)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// membersOf reads the names of team's members. The directory has no lookup
// by id, so it pages through the volunteers (sorted by name) until every
// member is found; a city's volunteers fit in a page or two.
func membersOf(ctx context.Context, dir teamDirectory, team *dispatch.Team) (*teamMembers, error) {
	out := &teamMembers{TeamID: team.ID, TeamName: team.Name, Members: []teamMember{}}
	want := make(map[int64]bool, len(team.MemberIDs))
	for _, id := range team.MemberIDs {
		want[id] = true
	}
	for offset := 0; len(want) > 0; {
		vs, total, err := dir.FindVolunteers(ctx, dispatch.Page{Offset: offset, Limit: volunteerPage})
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if !want[v.ID] {
				continue
			}
			delete(want, v.ID)
			lead := team.LeadVolunteerID != nil && *team.LeadVolunteerID == v.ID
			out.Members = append(out.Members, teamMember{ID: v.ID, FullName: v.FullName, Lead: lead, Active: v.Active})
		}
		offset += len(vs)
		if len(vs) == 0 || offset >= total {
			break
		}
	}
	return out, nil
}

// mapConfig is what map pages need to draw a map.
type mapConfig struct {
	TileURL string `json:"tile_url"`
	// Center is Astana's centre as [lat, lon] and Zoom the city-wide zoom.
	Center [2]float64 `json:"center"`
	Zoom   int        `json:"zoom"`
}

// handleMapConfig serves GET /api/map-config to every logged-in user: the
// tile template and the city's centre. Nothing in it is secret.
func (s *Server) handleMapConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, mapConfig{TileURL: s.tileURL(), Center: [2]float64{51.1282, 71.4304}, Zoom: 12})
}
