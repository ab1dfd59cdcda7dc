package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/routing"
)

// PlanScope is what a dispatcher asks the planner to plan: the open requests
// of one day, of some kinds, optionally in some districts or a drawn area.
type PlanScope struct {
	Day         string        `json:"day"` // YYYY-MM-DD, local time of Astana
	Kinds       []RequestKind `json:"kinds,omitempty"`
	DistrictIDs []int64       `json:"district_ids,omitempty"`
	// Area, when set, keeps only requests inside this polygon ([lon, lat] rings).
	Area orb.Polygon `json:"area,omitempty"`
	// TimeLimitS bounds the solver (seconds); 0 picks a default by size.
	TimeLimitS float64 `json:"time_limit_s,omitempty"`
}

// Normalize validates the scope and fills defaults.
func (s *PlanScope) Normalize() error {
	if s.Day == "" {
		return Invalid("day", "Day is required (YYYY-MM-DD).")
	}
	if _, err := time.Parse(time.DateOnly, s.Day); err != nil {
		return Invalid("day", "Day must be a date like 2026-12-01.")
	}
	for _, k := range s.Kinds {
		if !k.Valid() {
			return Invalid("kinds", "Unknown kind %q.", k)
		}
	}
	if len(s.Area) > 0 && len(s.Area[0]) < 4 {
		return Invalid("area", "The area needs a closed ring of at least 4 points.")
	}
	if s.TimeLimitS < 0 || s.TimeLimitS > 300 {
		return Invalid("time_limit_s", "The time limit must be between 0 and 300 seconds.")
	}
	sort.Slice(s.Kinds, func(i, j int) bool { return s.Kinds[i] < s.Kinds[j] })
	sort.Slice(s.DistrictIDs, func(i, j int) bool { return s.DistrictIDs[i] < s.DistrictIDs[j] })
	return nil
}

// Key names the scope for "one planning job at a time": every plan of a day
// shares the day's teams, so two plans of the same day must not run at once.
func (s PlanScope) Key() string { return "day:" + s.Day }

// PlanRules are the care rules and knobs of the planner.
type PlanRules struct {
	// DaylightStart and DaylightEnd bound the work of teams with minors,
	// as "HH:MM" local time.
	DaylightStart, DaylightEnd string
	// CarPackages: a food delivery of more packages than this needs a car.
	CarPackages int
	// PreferenceBonusS is how many seconds of extra travel a language match
	// or the last visiting team is worth.
	PreferenceBonusS float64
	// Location is the city's time zone.
	Location *time.Location
}

// DefaultPlanRules are the rules used unless configured: winter daylight in
// Astana is roughly 09:00 to 17:00.
func DefaultPlanRules() PlanRules {
	return PlanRules{DaylightStart: "09:00", DaylightEnd: "17:00", CarPackages: 10, PreferenceBonusS: 300, Location: cityZone}
}

// PlanRequest is an open request the planner may place.
type PlanRequest struct {
	ID                int64
	Kind              RequestKind
	Location          orb.Point
	Priority          Priority
	WindowStart       *time.Time
	WindowEnd         *time.Time
	ServiceMinutes    int
	Packages          int
	PreferredLanguage string
	LastTeamID        *int64
	Status            RequestStatus
}

// PlanTeam is a team that may take work, with the route it already has.
type PlanTeam struct {
	Team
	Members []Volunteer
	Lead    *Volunteer
	// Live is the team's published or started route of the day, if any.
	Live *Route
	// Position is the team's last known position (for started routes).
	Position *orb.Point
}

// PlanInput is everything the planner reads.
type PlanInput struct {
	Requests []PlanRequest
	Teams    []PlanTeam
	Now      time.Time
}

// PlannedStop is one stop of a planned route.
type PlannedStop struct {
	RequestID     int64
	ETA           time.Time
	TravelS       float64
	DistanceM     float64
	LanguageMatch bool
	Locked        bool
}

// PlannedRoute is a team's route in a plan. When Live is set the stops
// replace the live route's pending stops; otherwise they form a new draft.
type PlannedRoute struct {
	TeamID    int64
	LiveID    int64
	Stops     []PlannedStop
	DistanceM float64
	DurationS float64
	Geometry  orb.LineString
}

// UnplannedRequest is a request the planner could not place, with why.
type UnplannedRequest struct {
	RequestID int64  `json:"request_id"`
	Reason    string `json:"reason"`
}

// ExcludedTeam is a team the care rules kept out of the plan.
type ExcludedTeam struct {
	TeamID int64  `json:"team_id"`
	Reason string `json:"reason"`
}

// PlanOutput is the planner's answer.
type PlanOutput struct {
	Routes     []PlannedRoute     `json:"-"`
	Unplanned  []UnplannedRequest `json:"unplanned"`
	Excluded   []ExcludedTeam     `json:"excluded_teams"`
	Assigned   int                `json:"assigned"`
	Feasible   bool               `json:"feasible"`
	TravelKind string             `json:"travel"`
	Seconds    float64            `json:"seconds"`
}

func clock(day time.Time, hhmm string) (time.Time, error) {
	t, err := time.Parse("15:04", hhmm[:min(len(hhmm), 5)])
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", hhmm, err)
	}
	return day.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute), nil
}

func hasAny(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Plan turns the input into routes with the solver. It is pure: the caller
// loads the input and stores the output.
func Plan(ctx context.Context, in *PlanInput, scope PlanScope, rules PlanRules, travel Travel, progress func(pct int, msg string)) (*PlanOutput, error) {
	started := time.Now()
	if progress == nil {
		progress = func(int, string) {}
	}
	day, err := time.ParseInLocation(time.DateOnly, scope.Day, rules.Location)
	if err != nil {
		return nil, Invalid("day", "Day must be a date like 2026-12-01.")
	}
	secs := func(t time.Time) float64 { return t.Sub(day).Seconds() }
	dayStart, err := clock(day, rules.DaylightStart)
	if err != nil {
		return nil, err
	}
	dayEnd, err := clock(day, rules.DaylightEnd)
	if err != nil {
		return nil, err
	}
	out := &PlanOutput{TravelKind: travel.Kind()}

	// Locations: team starts first, then requests.
	var pts []orb.Point
	var vehicles []routing.Vehicle
	var teams []*PlanTeam
	fixedOf := map[int64]bool{}
	var initial []routing.InitialRoute
	for i := range in.Teams {
		t := &in.Teams[i]
		adults, minors := 0, 0
		for _, m := range t.Members {
			if m.Minor(day) {
				minors++
			} else {
				adults++
			}
		}
		if t.Lead == nil || t.Lead.Minor(day) {
			out.Excluded = append(out.Excluded, ExcludedTeam{TeamID: t.ID, Reason: "no adult lead: a team of minors is never planned without one"})
			continue
		}
		start, err := clock(day, t.ShiftStart)
		if err != nil {
			return nil, err
		}
		end, err := clock(day, t.ShiftEnd)
		if err != nil {
			return nil, err
		}
		if minors > 0 {
			// Minors work in daylight only.
			if start.Before(dayStart) {
				start = dayStart
			}
			if end.After(dayEnd) {
				end = dayEnd
			}
		}
		if in.Now.After(start) {
			start = in.Now
		}
		if !end.After(start) {
			out.Excluded = append(out.Excluded, ExcludedTeam{TeamID: t.ID, Reason: "shift over (or outside daylight hours for a team with minors)"})
			continue
		}
		from := t.Base
		var fixed []string
		var init []string
		if t.Live != nil {
			if t.Live.Status == RouteInProgress {
				if t.Position != nil {
					from = *t.Position
				} else {
					for _, s := range t.Live.Stops {
						if s.Status != StopPending && s.Status != StopRemoved {
							from = orb.Point{s.Lon, s.Lat}
						}
					}
				}
			}
			for _, s := range t.Live.Stops {
				if s.Status != StopPending {
					continue
				}
				id := strconv.FormatInt(s.RequestID, 10)
				if s.Locked {
					fixed = append(fixed, id)
					fixedOf[s.RequestID] = true
				} else {
					init = append(init, id)
				}
			}
		}
		var skills []string
		for _, k := range t.Skills {
			skills = append(skills, NormalizeSkill(k))
		}
		if t.HasVehicle && !hasAny(skills, SkillCar) {
			skills = append(skills, SkillCar)
		}
		vid := strconv.FormatInt(t.ID, 10)
		// Profile 0 is the car matrix, 1 the walking one.
		profile := 0
		if ModeOf(t.HasVehicle) == OnFoot {
			profile = 1
		}
		vehicles = append(vehicles, routing.Vehicle{
			ID: vid, Start: len(pts), End: routing.NoEnd,
			ShiftStart: secs(start), ShiftEnd: secs(end),
			Capacity: []int64{int64(t.CapacityPackages)},
			Skills:   skills, Fixed: fixed, Profile: profile,
		})
		if len(init) > 0 {
			initial = append(initial, routing.InitialRoute{VehicleID: vid, JobIDs: init})
		}
		teams = append(teams, t)
		pts = append(pts, from)
	}
	teamSpeaks := map[int64][]string{}
	for _, t := range teams {
		teamSpeaks[t.ID] = t.Languages
	}
	reqByID := map[int64]*PlanRequest{}
	var jobs []routing.Job
	for i := range in.Requests {
		r := &in.Requests[i]
		reqByID[r.ID] = r
		job := routing.Job{
			ID: strconv.FormatInt(r.ID, 10), Location: len(pts),
			Service:  float64(r.ServiceMinutes) * 60,
			Demand:   []int64{int64(r.Packages)},
			Priority: r.Priority.Rank(),
		}
		switch {
		case r.Kind == SnowClearing:
			job.Skills = []string{SkillShovels}
		case r.Kind == FoodDelivery && r.Packages > rules.CarPackages:
			job.Skills = []string{SkillCar}
		}
		if r.WindowStart != nil && r.WindowEnd != nil && !fixedOf[r.ID] {
			ws, we := secs(*r.WindowStart), secs(*r.WindowEnd)
			if we <= 0 || ws >= 86400 {
				out.Unplanned = append(out.Unplanned, UnplannedRequest{RequestID: r.ID, Reason: "time window is not on this day"})
				continue
			}
			job.Windows = []routing.TimeWindow{{Start: max(ws, 0), End: min(we, 86400)}}
		}
		for _, t := range teams {
			if (r.PreferredLanguage != "" && hasAny(t.Languages, r.PreferredLanguage)) || (r.LastTeamID != nil && *r.LastTeamID == t.ID) {
				job.Preferred = append(job.Preferred, strconv.FormatInt(t.ID, 10))
			}
		}
		jobs = append(jobs, job)
		pts = append(pts, r.Location)
	}
	progress(10, fmt.Sprintf("building the %s travel matrix for %d places", travel.Kind(), len(pts)))
	if len(jobs) == 0 || len(vehicles) == 0 {
		for _, j := range jobs {
			id, _ := strconv.ParseInt(j.ID, 10, 64)
			out.Unplanned = append(out.Unplanned, UnplannedRequest{RequestID: id, Reason: "no team available"})
		}
		out.Feasible = true
		out.Seconds = time.Since(started).Seconds()
		return out, nil
	}
	m, err := travel.Matrix(ctx, pts, ByCar)
	if err != nil {
		return nil, fmt.Errorf("travel matrix: %w", err)
	}
	matrices := []routing.Matrix{m}
	for _, v := range vehicles {
		if v.Profile == 1 {
			foot, err := travel.Matrix(ctx, pts, OnFoot)
			if err != nil {
				return nil, fmt.Errorf("walking matrix: %w", err)
			}
			matrices = append(matrices, foot)
			break
		}
	}
	progress(30, fmt.Sprintf("solving %d requests with %d teams", len(jobs), len(vehicles)))
	p := &routing.Problem{Matrix: m, Profiles: matrices[1:], Vehicles: vehicles, Jobs: jobs, Initial: initial}
	limit := time.Duration(scope.TimeLimitS * float64(time.Second))
	if limit == 0 {
		// A dispatcher waits at most ~20 s: with every core searching
		// (Threads) and the solver's sequential construction this is
		// enough for 3,000 requests (see README, bench plan).
		limit = time.Duration(2+len(jobs)/100) * time.Second
		if limit > 20*time.Second {
			limit = 20 * time.Second
		}
	}
	opts := routing.Options{TimeLimit: limit, Seed: 1, PreferenceBonus: rules.PreferenceBonusS, BalanceWeight: 0.05,
		Threads: runtime.GOMAXPROCS(0)}
	sol, err := routing.Solve(ctx, p, opts)
	if err != nil && len(fixedOf) > 0 {
		// Locked stops that no longer fit their team's shift (a team
		// running late) make the problem infeasible as stated: such a team
		// keeps its locked stops past its shift and takes nothing new.
		for k := range p.Vehicles {
			if v := &p.Vehicles[k]; len(v.Fixed) > 0 {
				v.ShiftEnd, v.MaxDuration, v.MaxStops = 0, 0, len(v.Fixed)
			}
		}
		sol, err = routing.Solve(ctx, p, opts)
	}
	if err != nil && len(fixedOf) > 0 {
		// Still infeasible (a stop moved by hand to a team without the
		// skill or the capacity): plan with the locked stops as a
		// preferred starting order instead of a hard lock.
		for k := range p.Vehicles {
			v := &p.Vehicles[k]
			if len(v.Fixed) == 0 {
				continue
			}
			found := false
			for i := range p.Initial {
				if p.Initial[i].VehicleID == v.ID {
					p.Initial[i].JobIDs = append(append([]string(nil), v.Fixed...), p.Initial[i].JobIDs...)
					found = true
				}
			}
			if !found {
				p.Initial = append(p.Initial, routing.InitialRoute{VehicleID: v.ID, JobIDs: v.Fixed})
			}
			v.Fixed, v.MaxStops = nil, 0
		}
		fixedOf = map[int64]bool{}
		sol, err = routing.Solve(ctx, p, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("solve: %w", err)
	}
	out.Feasible = routing.Check(p, sol) == nil
	progress(80, "drawing routes on the road network")
	teamByID := map[string]*PlanTeam{}
	for _, t := range teams {
		teamByID[strconv.FormatInt(t.ID, 10)] = t
	}
	for _, r := range sol.Routes {
		t := teamByID[r.VehicleID]
		pr := PlannedRoute{TeamID: t.ID, DistanceM: r.Distance, DurationS: r.Duration}
		if t.Live != nil {
			pr.LiveID = t.Live.ID
		}
		v := vehicles[indexOfVehicle(vehicles, r.VehicleID)]
		vm, mode := matrices[v.Profile], ModeOf(t.HasVehicle)
		path := []orb.Point{pts[v.Start]}
		prevLoc := v.Start
		for _, s := range r.Stops {
			id, _ := strconv.ParseInt(s.JobID, 10, 64)
			req := reqByID[id]
			pr.Stops = append(pr.Stops, PlannedStop{
				RequestID:     id,
				ETA:           day.Add(time.Duration(s.Start * float64(time.Second))),
				TravelS:       vm.Duration(prevLoc, s.Location),
				DistanceM:     vm.Distance(prevLoc, s.Location),
				LanguageMatch: req != nil && req.PreferredLanguage != "" && hasAny(t.Languages, req.PreferredLanguage),
				Locked:        fixedOf[id],
			})
			prevLoc = s.Location
			path = append(path, pts[s.Location])
		}
		if geom, _, _, err := travel.Path(ctx, path, mode); err == nil {
			pr.Geometry = geom
		} else {
			pr.Geometry = orb.LineString(path)
		}
		out.Assigned += len(pr.Stops)
		out.Routes = append(out.Routes, pr)
	}
	for _, u := range sol.Unassigned {
		id, _ := strconv.ParseInt(u.JobID, 10, 64)
		out.Unplanned = append(out.Unplanned, UnplannedRequest{RequestID: id, Reason: u.Reason.String()})
	}
	// Teams whose live route lost all pending stops still need an update.
	for _, t := range teams {
		if t.Live == nil {
			continue
		}
		found := false
		for _, r := range out.Routes {
			found = found || r.TeamID == t.ID
		}
		if !found {
			out.Routes = append(out.Routes, PlannedRoute{TeamID: t.ID, LiveID: t.Live.ID})
		}
	}
	out.Seconds = time.Since(started).Seconds()
	progress(90, "saving draft routes")
	return out, nil
}

func indexOfVehicle(vs []routing.Vehicle, id string) int {
	for i := range vs {
		if vs[i].ID == id {
			return i
		}
	}
	return -1
}

// PlanStore loads what the planner reads and stores what it decides.
type PlanStore interface {
	// StartPlanningJob records a running job for the scope; ECONFLICT when
	// one is already running for the same scope key (on any instance).
	StartPlanningJob(ctx context.Context, actor *User, scope PlanScope) (int64, error)
	// PlanningProgress records progress and emits an event.
	PlanningProgress(ctx context.Context, jobID int64, pct int, msg string) error
	// LoadPlanInput reads the open requests of the scope and the teams.
	LoadPlanInput(ctx context.Context, scope PlanScope, rules PlanRules) (*PlanInput, error)
	// SavePlan writes draft routes (and live-route changes), marks the
	// unplanned requests with their reasons, and finishes the job.
	SavePlan(ctx context.Context, jobID int64, actor *User, scope PlanScope, out *PlanOutput) error
	// FailPlanningJob finishes a job with an error message.
	FailPlanningJob(ctx context.Context, jobID int64, msg string) error
	// FindPlanningJob returns a job's state; ENOTFOUND when missing.
	FindPlanningJob(ctx context.Context, id int64) (*PlanningJob, error)
}

// PlanningJob is the state of one planning run.
type PlanningJob struct {
	ID       int64           `json:"id"`
	Status   string          `json:"status"`
	Progress int             `json:"progress"`
	Message  string          `json:"message"`
	Scope    json.RawMessage `json:"scope"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// Planner runs planning jobs: load, solve, save, with progress events.
type Planner struct {
	Store  PlanStore
	Travel func() Travel
	Rules  PlanRules
	// OnError is told about background failures (the job is marked failed).
	OnError func(jobID int64, err error)
}

// Start checks the scope, records a running job (ECONFLICT if the scope is
// already being planned, on any instance) and plans in the background.
func (p *Planner) Start(ctx context.Context, actor *User, scope PlanScope) (int64, error) {
	if err := Require(actor, ActPlan); err != nil {
		return 0, err
	}
	if err := scope.Normalize(); err != nil {
		return 0, err
	}
	id, err := p.Store.StartPlanningJob(ctx, actor, scope)
	if err != nil {
		return 0, err
	}
	go func() {
		bg := context.WithoutCancel(ctx)
		if _, err := p.Run(bg, actor, id, scope); err != nil && p.OnError != nil {
			p.OnError(id, err)
		}
	}()
	return id, nil
}

// Planning runs the solver on the server's few cores, so each login and
// each user may keep only so many jobs running at once (over any days).
const (
	MaxRunningPlansPerUser    = 2
	MaxRunningPlansPerSession = 1
)

// CheckRunningPlans is the rule stores and handlers apply before starting a
// planning job: running is how many jobs the user (or the session) already
// has running, limit the matching Max constant. ETOOMANY past it.
func CheckRunningPlans(running, limit int) error {
	if running >= limit {
		return Errorf(ETOOMANY, "You already have %d planning job(s) running; wait for them to finish.", running)
	}
	return nil
}

// dueVisits is implemented by stores that keep recurring visit rules.
type dueVisits interface {
	CreateDueVisits(ctx context.Context, actor *User, day time.Time) (int, error)
}

// Run plans a started job synchronously and stores the result.
func (p *Planner) Run(ctx context.Context, actor *User, jobID int64, scope PlanScope) (*PlanOutput, error) {
	fail := func(err error) (*PlanOutput, error) {
		_ = p.Store.FailPlanningJob(context.WithoutCancel(ctx), jobID, ErrorMessage(err))
		return nil, err
	}
	// Recurring visits due on the day become requests first, so a plan of
	// the day includes them (once per address and day; see CreateDueVisits).
	if dv, ok := p.Store.(dueVisits); ok && (len(scope.Kinds) == 0 || slices.Contains(scope.Kinds, OtherKind)) {
		day, err := ParseLocalDate("day", scope.Day)
		if err != nil {
			return fail(err)
		}
		if _, err := dv.CreateDueVisits(ctx, actor, day); err != nil {
			return fail(err)
		}
	}
	in, err := p.Store.LoadPlanInput(ctx, scope, p.Rules)
	if err != nil {
		return fail(err)
	}
	progress := func(pct int, msg string) { _ = p.Store.PlanningProgress(ctx, jobID, pct, msg) }
	out, err := Plan(ctx, in, scope, p.Rules, p.Travel(), progress)
	if err != nil {
		return fail(err)
	}
	if err := p.Store.SavePlan(ctx, jobID, actor, scope, out); err != nil {
		return fail(err)
	}
	return out, nil
}
