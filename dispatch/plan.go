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
	// HeldForConsent is set for a new request whose pensioner has no
	// recorded consent and whose visit no dispatcher approved
	// (VisitAllowed); the planner leaves it unassigned.
	HeldForConsent bool
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
	// Snapshot is the day's routes as read before the rest, for saving
	// the plan as a proposal (see PlanMayOverwrite).
	Snapshot PlanSnapshot
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
	// Kept lists the requests whose place changed while the planner
	// worked and won over the plan (filled in when the plan is saved).
	Kept []KeptStop `json:"kept"`
	// Snapshot is the input's, carried to SavePlan.
	Snapshot PlanSnapshot `json:"-"`
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
// loads the input and stores the output. The steps: the care rules decide
// which teams work and when (addTeams), the open requests become jobs
// (addJobs), the solver runs with fallbacks for locked stops that no longer
// fit (solve), and its routes are drawn and timed (collectRoutes).
func Plan(ctx context.Context, in *PlanInput, scope PlanScope, rules PlanRules, travel Travel, progress func(pct int, msg string)) (*PlanOutput, error) {
	started := time.Now()
	if progress == nil {
		progress = func(int, string) {}
	}
	var held []UnplannedRequest
	if slices.ContainsFunc(in.Requests, func(r PlanRequest) bool { return r.HeldForConsent }) {
		cp := *in
		cp.Requests = nil
		for _, r := range in.Requests {
			if r.HeldForConsent {
				held = append(held, UnplannedRequest{RequestID: r.ID, Reason: ReasonNoConsent})
				continue
			}
			cp.Requests = append(cp.Requests, r)
		}
		in = &cp
	}
	out, err := plan(ctx, in, scope, rules, travel, progress, started)
	if out != nil {
		out.Unplanned = append(out.Unplanned, held...)
	}
	return out, err
}

func plan(ctx context.Context, in *PlanInput, scope PlanScope, rules PlanRules, travel Travel, progress func(pct int, msg string), started time.Time) (*PlanOutput, error) {
	b, err := newPlanBuild(in, scope, rules, travel)
	if err != nil {
		return nil, err
	}
	if err := b.addTeams(); err != nil {
		return nil, err
	}
	b.addJobs()
	progress(10, fmt.Sprintf("building the %s travel matrix for %d places", travel.Kind(), len(b.pts)))
	if len(b.jobs) == 0 || len(b.vehicles) == 0 {
		b.nothingToSolve()
		b.out.Seconds = time.Since(started).Seconds()
		return b.out, nil
	}
	if err := b.buildMatrices(ctx); err != nil {
		return nil, err
	}
	progress(30, fmt.Sprintf("solving %d requests with %d teams", len(b.jobs), len(b.vehicles)))
	sol, err := b.solve(ctx, scope.TimeLimitS)
	if err != nil {
		return nil, err
	}
	progress(80, "drawing routes on the road network")
	b.collectRoutes(ctx, sol)
	b.keepEmptiedLiveRoutes()
	b.out.Seconds = time.Since(started).Seconds()
	progress(90, "saving draft routes")
	return b.out, nil
}

// planBuild is the state of one Plan call: the solver's problem as it is
// built up, and the answer.
type planBuild struct {
	in     *PlanInput
	rules  PlanRules
	travel Travel
	// day is midnight of the planned day; dayStart and dayEnd bound the
	// work of teams with minors.
	day, dayStart, dayEnd time.Time
	// pts are the solver's locations: team starts first, then requests.
	pts      []orb.Point
	vehicles []routing.Vehicle
	teams    []*PlanTeam
	// fixedOf marks requests on locked stops of live routes.
	fixedOf  map[int64]bool
	initial  []routing.InitialRoute
	jobs     []routing.Job
	reqByID  map[int64]*PlanRequest
	matrices []routing.Matrix
	problem  *routing.Problem
	out      *PlanOutput
}

func newPlanBuild(in *PlanInput, scope PlanScope, rules PlanRules, travel Travel) (*planBuild, error) {
	day, err := time.ParseInLocation(time.DateOnly, scope.Day, rules.Location)
	if err != nil {
		return nil, Invalid("day", "Day must be a date like 2026-12-01.")
	}
	b := &planBuild{in: in, rules: rules, travel: travel, day: day, fixedOf: map[int64]bool{}, reqByID: map[int64]*PlanRequest{},
		out: &PlanOutput{TravelKind: travel.Kind()}}
	if b.dayStart, err = clock(day, rules.DaylightStart); err != nil {
		return nil, err
	}
	if b.dayEnd, err = clock(day, rules.DaylightEnd); err != nil {
		return nil, err
	}
	return b, nil
}

// secs is t as seconds since midnight of the day, the solver's clock.
func (b *planBuild) secs(t time.Time) float64 { return t.Sub(b.day).Seconds() }

func (b *planBuild) exclude(t *PlanTeam, reason string) {
	b.out.Excluded = append(b.out.Excluded, ExcludedTeam{TeamID: t.ID, Reason: reason})
}

// addTeams turns the teams the care rules allow into vehicles.
func (b *planBuild) addTeams() error {
	for i := range b.in.Teams {
		t := &b.in.Teams[i]
		if t.Lead == nil || t.Lead.Minor(b.day) {
			b.exclude(t, "no adult lead: a team of minors is never planned without one")
			continue
		}
		start, end, err := b.shift(t)
		if err != nil {
			return err
		}
		if !end.After(start) {
			b.exclude(t, "shift over (or outside daylight hours for a team with minors)")
			continue
		}
		fixed, init := b.liveStops(t)
		vid := strconv.FormatInt(t.ID, 10)
		// Profile 0 is the car matrix, 1 the walking one.
		profile := 0
		if ModeOf(t.HasVehicle) == OnFoot {
			profile = 1
		}
		b.vehicles = append(b.vehicles, routing.Vehicle{
			ID: vid, Start: len(b.pts), End: routing.NoEnd,
			ShiftStart: b.secs(start), ShiftEnd: b.secs(end),
			Capacity: []int64{int64(t.CapacityPackages)},
			Skills:   teamSkills(t), Fixed: fixed, Profile: profile,
		})
		if len(init) > 0 {
			b.initial = append(b.initial, routing.InitialRoute{VehicleID: vid, JobIDs: init})
		}
		b.teams = append(b.teams, t)
		b.pts = append(b.pts, teamStart(t))
	}
	return nil
}

// shift is when the team may work on the day: its shift, within daylight
// when it has a minor, and not before now.
func (b *planBuild) shift(t *PlanTeam) (start, end time.Time, err error) {
	if start, err = clock(b.day, t.ShiftStart); err != nil {
		return
	}
	if end, err = clock(b.day, t.ShiftEnd); err != nil {
		return
	}
	minors := false
	for _, m := range t.Members {
		minors = minors || m.Minor(b.day)
	}
	if minors {
		// Minors work in daylight only.
		if start.Before(b.dayStart) {
			start = b.dayStart
		}
		if end.After(b.dayEnd) {
			end = b.dayEnd
		}
	}
	if b.in.Now.After(start) {
		start = b.in.Now
	}
	return start, end, nil
}

// teamStart is where the team sets off: its last position (else its last
// visited stop) once its live route is under way, its base otherwise.
func teamStart(t *PlanTeam) orb.Point {
	if t.Live == nil || t.Live.Status != RouteInProgress {
		return t.Base
	}
	if t.Position != nil {
		return *t.Position
	}
	from := t.Base
	for _, s := range t.Live.Stops {
		if s.Status != StopPending && s.Status != StopRemoved {
			from = orb.Point{s.Lon, s.Lat}
		}
	}
	return from
}

// liveStops splits the pending stops of the team's live route into locked
// ones (fixed to the team, in order) and the rest (a starting order the
// solver may change).
func (b *planBuild) liveStops(t *PlanTeam) (fixed, init []string) {
	if t.Live == nil {
		return nil, nil
	}
	for _, s := range t.Live.Stops {
		if s.Status != StopPending {
			continue
		}
		id := strconv.FormatInt(s.RequestID, 10)
		if s.Locked {
			fixed = append(fixed, id)
			b.fixedOf[s.RequestID] = true
		} else {
			init = append(init, id)
		}
	}
	return fixed, init
}

// teamSkills are the team's skills in the planner's words; a team with a
// vehicle has a car.
func teamSkills(t *PlanTeam) []string {
	var skills []string
	for _, k := range t.Skills {
		skills = append(skills, NormalizeSkill(k))
	}
	if t.HasVehicle && !hasAny(skills, SkillCar) {
		skills = append(skills, SkillCar)
	}
	return skills
}

// addJobs turns the open requests into solver jobs with the skills they
// need, their time windows and the teams they prefer.
func (b *planBuild) addJobs() {
	for i := range b.in.Requests {
		r := &b.in.Requests[i]
		b.reqByID[r.ID] = r
		job := routing.Job{
			ID: strconv.FormatInt(r.ID, 10), Location: len(b.pts),
			Service:  float64(r.ServiceMinutes) * 60,
			Demand:   []int64{int64(r.Packages)},
			Priority: r.Priority.Rank(),
		}
		switch {
		case r.Kind == SnowClearing:
			job.Skills = []string{SkillShovels}
		case r.Kind == FoodDelivery && r.Packages > b.rules.CarPackages:
			job.Skills = []string{SkillCar}
		}
		if r.WindowStart != nil && r.WindowEnd != nil && !b.fixedOf[r.ID] {
			ws, we := b.secs(*r.WindowStart), b.secs(*r.WindowEnd)
			if we <= 0 || ws >= 86400 {
				b.out.Unplanned = append(b.out.Unplanned, UnplannedRequest{RequestID: r.ID, Reason: "time window is not on this day"})
				continue
			}
			job.Windows = []routing.TimeWindow{{Start: max(ws, 0), End: min(we, 86400)}}
		}
		for _, t := range b.teams {
			if (r.PreferredLanguage != "" && hasAny(t.Languages, r.PreferredLanguage)) || (r.LastTeamID != nil && *r.LastTeamID == t.ID) {
				job.Preferred = append(job.Preferred, strconv.FormatInt(t.ID, 10))
			}
		}
		b.jobs = append(b.jobs, job)
		b.pts = append(b.pts, r.Location)
	}
}

// nothingToSolve answers when there are no jobs or no teams.
func (b *planBuild) nothingToSolve() {
	for _, j := range b.jobs {
		id, _ := strconv.ParseInt(j.ID, 10, 64)
		b.out.Unplanned = append(b.out.Unplanned, UnplannedRequest{RequestID: id, Reason: "no team available"})
	}
	b.out.Feasible = true
}

// buildMatrices computes the car matrix and, when a team walks, the
// walking one.
func (b *planBuild) buildMatrices(ctx context.Context) error {
	m, err := b.travel.Matrix(ctx, b.pts, ByCar)
	if err != nil {
		return fmt.Errorf("travel matrix: %w", err)
	}
	b.matrices = []routing.Matrix{m}
	for _, v := range b.vehicles {
		if v.Profile == 1 {
			foot, err := b.travel.Matrix(ctx, b.pts, OnFoot)
			if err != nil {
				return fmt.Errorf("walking matrix: %w", err)
			}
			b.matrices = append(b.matrices, foot)
			break
		}
	}
	return nil
}

// solve runs the solver. Locked stops that no longer fit their team's shift
// (a team running late) make the problem infeasible as stated: such a team
// keeps its locked stops past its shift and takes nothing new. If it is
// still infeasible (a stop moved by hand to a team without the skill or the
// capacity), the locked stops become a preferred starting order instead.
func (b *planBuild) solve(ctx context.Context, timeLimitS float64) (*routing.Solution, error) {
	p := &routing.Problem{Matrix: b.matrices[0], Profiles: b.matrices[1:], Vehicles: b.vehicles, Jobs: b.jobs, Initial: b.initial}
	b.problem = p
	limit := time.Duration(timeLimitS * float64(time.Second))
	if limit == 0 {
		// A dispatcher waits at most ~20 s: with every core searching
		// (Threads) and the solver's sequential construction this is
		// enough for 3,000 requests (see README, bench plan).
		limit = min(time.Duration(2+len(b.jobs)/100)*time.Second, 20*time.Second)
	}
	opts := routing.Options{TimeLimit: limit, Seed: 1, PreferenceBonus: b.rules.PreferenceBonusS, BalanceWeight: 0.05,
		Threads: runtime.GOMAXPROCS(0)}
	sol, err := routing.Solve(ctx, p, opts)
	if err != nil && len(b.fixedOf) > 0 {
		lockedPastShift(p)
		sol, err = routing.Solve(ctx, p, opts)
	}
	if err != nil && len(b.fixedOf) > 0 {
		lockedAsPreferred(p)
		b.fixedOf = map[int64]bool{}
		sol, err = routing.Solve(ctx, p, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("solve: %w", err)
	}
	b.out.Feasible = routing.Check(p, sol) == nil
	return sol, nil
}

// lockedPastShift lets a team with locked stops keep them past its shift
// and take nothing else.
func lockedPastShift(p *routing.Problem) {
	for k := range p.Vehicles {
		if v := &p.Vehicles[k]; len(v.Fixed) > 0 {
			v.ShiftEnd, v.MaxDuration, v.MaxStops = 0, 0, len(v.Fixed)
		}
	}
}

// lockedAsPreferred turns locked stops into the head of the team's
// starting order.
func lockedAsPreferred(p *routing.Problem) {
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
}

// collectRoutes turns the solver's routes into planned routes with ETAs,
// legs and a path drawn on the road network, and lists what stayed
// unassigned with the solver's reason.
func (b *planBuild) collectRoutes(ctx context.Context, sol *routing.Solution) {
	teamByID := map[string]*PlanTeam{}
	for _, t := range b.teams {
		teamByID[strconv.FormatInt(t.ID, 10)] = t
	}
	for _, r := range sol.Routes {
		t := teamByID[r.VehicleID]
		pr := PlannedRoute{TeamID: t.ID, DistanceM: r.Distance, DurationS: r.Duration}
		if t.Live != nil {
			pr.LiveID = t.Live.ID
		}
		v := b.vehicles[indexOfVehicle(b.vehicles, r.VehicleID)]
		vm, mode := b.matrices[v.Profile], ModeOf(t.HasVehicle)
		path := []orb.Point{b.pts[v.Start]}
		prevLoc := v.Start
		for _, s := range r.Stops {
			id, _ := strconv.ParseInt(s.JobID, 10, 64)
			req := b.reqByID[id]
			pr.Stops = append(pr.Stops, PlannedStop{
				RequestID:     id,
				ETA:           b.day.Add(time.Duration(s.Start * float64(time.Second))),
				TravelS:       vm.Duration(prevLoc, s.Location),
				DistanceM:     vm.Distance(prevLoc, s.Location),
				LanguageMatch: req != nil && req.PreferredLanguage != "" && hasAny(t.Languages, req.PreferredLanguage),
				Locked:        b.fixedOf[id],
			})
			prevLoc = s.Location
			path = append(path, b.pts[s.Location])
		}
		if geom, _, _, err := b.travel.Path(ctx, path, mode); err == nil {
			pr.Geometry = geom
		} else {
			pr.Geometry = orb.LineString(path)
		}
		b.out.Assigned += len(pr.Stops)
		b.out.Routes = append(b.out.Routes, pr)
	}
	for _, u := range sol.Unassigned {
		id, _ := strconv.ParseInt(u.JobID, 10, 64)
		b.out.Unplanned = append(b.out.Unplanned, UnplannedRequest{RequestID: id, Reason: u.Reason.String()})
	}
}

// keepEmptiedLiveRoutes adds an empty planned route for each team whose
// live route lost all its pending stops: it still needs an update.
func (b *planBuild) keepEmptiedLiveRoutes() {
	for _, t := range b.teams {
		if t.Live == nil {
			continue
		}
		found := false
		for _, r := range b.out.Routes {
			found = found || r.TeamID == t.ID
		}
		if !found {
			b.out.Routes = append(b.out.Routes, PlannedRoute{TeamID: t.ID, LiveID: t.Live.ID})
		}
	}
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
	// StartPlanningJob records a job for the scope and queues its run in
	// the same transaction; ECONFLICT when one is already queued or
	// running for the same scope key (on any instance).
	StartPlanningJob(ctx context.Context, actor *User, scope PlanScope) (int64, error)
	// PlanningProgress records progress and emits an event.
	PlanningProgress(ctx context.Context, jobID int64, pct int, msg string) error
	// LoadPlanInput reads the open requests of the scope and the teams.
	LoadPlanInput(ctx context.Context, scope PlanScope, rules PlanRules) (*PlanInput, error)
	// SavePlan writes draft routes (and live-route changes), marks the
	// unplanned requests with their reasons, and finishes the job;
	// ECONFLICT when the attempt no longer owns the job (it was handed to
	// another worker, or finished).
	SavePlan(ctx context.Context, job PlanAttempt, actor *User, scope PlanScope, out *PlanOutput) error
	// FailPlanningJob finishes a job with an error message, unless another
	// attempt owns it or it is already finished.
	FailPlanningJob(ctx context.Context, job PlanAttempt, msg string) error
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

// PlanAttempt names one run of a planning job: the queue may run a job again
// after a crash, and only the attempt that owns the job may save it.
type PlanAttempt struct {
	JobID   int64
	Attempt int
}

// Planner runs planning jobs: load, solve, save, with progress events.
type Planner struct {
	Store  PlanStore
	Travel func() Travel
	Rules  PlanRules
}

// Start checks the scope and records the job with its queued run (ECONFLICT
// if the scope is already being planned, on any instance). A worker of the
// job queue runs it (see Execute); the run survives restarts.
func (p *Planner) Start(ctx context.Context, actor *User, scope PlanScope) (int64, error) {
	if err := Require(actor, ActPlan); err != nil {
		return 0, err
	}
	if err := scope.Normalize(); err != nil {
		return 0, err
	}
	return p.Store.StartPlanningJob(ctx, actor, scope)
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

// Run plans a started job synchronously and stores the result; on error the
// job is marked failed.
func (p *Planner) Run(ctx context.Context, actor *User, jobID int64, scope PlanScope) (*PlanOutput, error) {
	return p.Execute(ctx, actor, PlanAttempt{JobID: jobID}, scope, true)
}

// Execute is one attempt at a job. On error the job is marked failed when
// final is set or the error is a domain error (a retry would fail the same
// way); otherwise it stays running for the queue to try again.
func (p *Planner) Execute(ctx context.Context, actor *User, job PlanAttempt, scope PlanScope, final bool) (*PlanOutput, error) {
	fail := func(err error) (*PlanOutput, error) {
		if final || ErrorCode(err) != EINTERNAL {
			_ = p.Store.FailPlanningJob(context.WithoutCancel(ctx), job, ErrorMessage(err))
		}
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
	progress := func(pct int, msg string) { _ = p.Store.PlanningProgress(ctx, job.JobID, pct, msg) }
	out, err := Plan(ctx, in, scope, p.Rules, p.Travel(), progress)
	if err != nil {
		return fail(err)
	}
	out.Snapshot = in.Snapshot
	if err := p.Store.SavePlan(ctx, job, actor, scope, out); err != nil {
		return fail(err)
	}
	return out, nil
}
