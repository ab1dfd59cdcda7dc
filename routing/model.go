package routing

import (
	"fmt"
	"math"
	"time"
)

// TimeWindow is an interval [Start, End] of seconds (on the same clock as
// vehicle shifts) during which service at a job may begin.
type TimeWindow struct {
	Start float64
	End   float64
}

// Priority levels for jobs. Higher priorities are served first when not
// everything fits: the solver never leaves a job of priority p unassigned to
// serve any number of jobs of lower priority. Values above PriorityUrgent are
// treated as PriorityUrgent.
const (
	PriorityNormal = 0
	PriorityHigh   = 1
	PriorityUrgent = 2
)

// maxPriority is the highest distinct priority level.
const maxPriority = 3

// NoEnd is the End location of a vehicle whose route ends at its last stop
// (an open route).
const NoEnd = -1

// Vehicle is a team (car, crew) that serves jobs.
type Vehicle struct {
	// ID identifies the vehicle in solutions; it must be unique.
	ID string
	// Start is the location index where the route starts.
	Start int
	// End is the location index where the route ends, or NoEnd (-1) for an
	// open route that ends at its last stop.
	End int
	// ShiftStart and ShiftEnd bound the route: the vehicle leaves Start no
	// earlier than ShiftStart and must be back at End (or, for an open route,
	// finish its last service) by ShiftEnd. A zero ShiftEnd means no limit.
	ShiftStart float64
	ShiftEnd   float64
	// Capacity per dimension (for example people, kilograms). The total
	// demand of the jobs on the route must not exceed it in any dimension. A
	// missing dimension counts as capacity 0 when a job demands it; a nil
	// Capacity with jobs of nil Demand means no capacity constraint.
	Capacity []int64
	// Skills the vehicle has; a job can only go to a vehicle that has all
	// of the job's skills.
	Skills []string
	// MaxDuration limits the route duration in seconds (from leaving Start
	// to arriving at End, or finishing the last job for an open route); the
	// vehicle leaves Start just in time for its first job. 0 = no limit.
	MaxDuration float64
	// MaxStops limits the number of jobs on the route. 0 = no limit.
	MaxStops int
	// Profile selects the travel matrix of this vehicle: 0 (the default)
	// is Problem.Matrix, k >= 1 is Problem.Profiles[k-1]. Teams on foot and
	// teams with a car travel at different speeds on different roads; every
	// duration and distance of the vehicle's route (construction, search,
	// schedules, reported totals and Check) is read from its own matrix.
	Profile int
	// Fixed lists job IDs locked to this vehicle (done or in progress):
	// they stay first on the route, in this order. Their time windows are
	// not enforced (they are already committed), but their demand, the
	// shift end, MaxStops and MaxDuration are: Solve returns an error if
	// the fixed jobs alone break them (extend the shift of a late team).
	Fixed []string
}

// Job is a stop to serve: a visit of Service seconds at Location.
type Job struct {
	// ID identifies the job; it must be unique.
	ID string
	// Location is the index of the job's place in the Matrix.
	Location int
	// Service is the time spent at the job, in seconds.
	Service float64
	// Windows are the intervals in which service may begin, sorted and
	// disjoint. None means any time within the vehicle's shift.
	Windows []TimeWindow
	// Demand per capacity dimension.
	Demand []int64
	// Skills the serving vehicle must have.
	Skills []string
	// Priority: PriorityNormal, PriorityHigh or PriorityUrgent.
	Priority int
	// Preferred lists vehicle IDs that should serve this job if it costs
	// little (language match, continuity); each assignment to one of them
	// earns Options.PreferenceBonus.
	Preferred []string
}

// InitialRoute is a route of a starting solution for re-optimisation.
type InitialRoute struct {
	VehicleID string
	JobIDs    []string
}

// Problem is a vehicle routing problem with time windows, capacities,
// skills and priorities.
type Problem struct {
	// Matrix gives travel durations and distances between locations. It is
	// the travel profile of every vehicle with Profile 0.
	Matrix Matrix
	// Profiles are optional extra travel matrices (for example on foot or
	// by car) over the SAME location indices as Matrix, so of the same
	// Size: a vehicle with Profile k >= 1 travels by Profiles[k-1]. The
	// solver's neighbour lists (which jobs are near each other) are based
	// on Matrix only; costs and feasibility always use each vehicle's own
	// profile. Each distinct matrix used costs one copy of its durations
	// (see Solve) and matrices that are the same value are shared.
	Profiles []Matrix
	Vehicles []Vehicle
	Jobs     []Job
	// Initial is an optional starting solution. Jobs that do not fit where
	// the initial solution puts them are re-inserted by the solver.
	Initial []InitialRoute
}

// Options tune Solve.
type Options struct {
	// TimeLimit bounds the search time. With a time limit the result
	// depends on machine speed; use MaxIterations for reproducible runs.
	TimeLimit time.Duration
	// MaxIterations bounds the number of ruin-and-recreate iterations.
	// If both TimeLimit and MaxIterations are zero, MaxIterations defaults
	// to DefaultIterations. If both are set, the first limit reached stops
	// the search.
	MaxIterations int
	// Seed seeds the pseudo-random generator. The same problem, seed and
	// MaxIterations (without TimeLimit) give the same solution.
	Seed int64
	// BalanceWeight (>= 0) penalises uneven routes: the objective adds
	// BalanceWeight * sum over routes of work^2 / meanWork, where work is
	// route travel plus service time, so that no team gets everything.
	BalanceWeight float64
	// PreferenceBonus is subtracted from the objective (in seconds of
	// travel) for each job served by one of its Preferred vehicles.
	PreferenceBonus float64
	// Neighbours is the size of the granular neighbourhood (k nearest
	// jobs) used by the search; 0 picks a default.
	Neighbours int
	// Threads is the number of goroutines searching in parallel (0 or 1:
	// one). With several, large instances are split into groups of nearby
	// routes searched at the same time, small ones are searched
	// independently from the best plan; see solveParallel. With
	// MaxIterations (each thread does that many) and no TimeLimit the
	// result is deterministic for a given Seed and Threads.
	Threads int
}

// DefaultIterations is the iteration limit when Options sets no limit.
const DefaultIterations = 20000

// Reason says why a job was left unassigned.
type Reason int

// Reasons for unassigned jobs.
const (
	// ReasonNone is the zero value; it is never reported.
	ReasonNone Reason = iota
	// ReasonSkills: no vehicle has all the job's skills.
	ReasonSkills
	// ReasonUnreachable: no vehicle can travel to and from the location.
	ReasonUnreachable
	// ReasonCapacity: the job's demand exceeds the capacity of every
	// suitable vehicle, or the capacity left on every route.
	ReasonCapacity
	// ReasonTimeWindow: no suitable vehicle can reach the job within one of
	// its time windows and still finish its shift.
	ReasonTimeWindow
	// ReasonMaxDuration: serving the job alone already exceeds the
	// maximum route duration of every suitable vehicle.
	ReasonMaxDuration
	// ReasonMaxStops: every suitable vehicle already has its maximum
	// number of stops.
	ReasonMaxStops
	// ReasonNotEnoughVehicles: the job could be served on its own, but not
	// together with the jobs of higher or equal value served instead.
	ReasonNotEnoughVehicles
)

var reasonNames = [...]string{
	ReasonNone:              "none",
	ReasonSkills:            "no vehicle with the required skills",
	ReasonUnreachable:       "location unreachable",
	ReasonCapacity:          "capacity",
	ReasonTimeWindow:        "outside every shift or time window",
	ReasonMaxDuration:       "max route duration",
	ReasonMaxStops:          "max stops",
	ReasonNotEnoughVehicles: "not enough vehicles",
}

// String returns a short English description of the reason.
func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Stop is one job on a route with its schedule.
type Stop struct {
	JobID    string
	Location int
	// Arrival at the location, Start of service (after any waiting), and
	// Departure (Start + service).
	Arrival   float64
	Start     float64
	Departure float64
}

// Route is the plan of one vehicle. Vehicles without jobs have no Route.
type Route struct {
	VehicleID string
	Stops     []Stop
	// Depart is when the vehicle leaves its start location (just in time
	// for the first job); Return is when it arrives at its end location
	// (or finishes its last job for an open route).
	Depart float64
	Return float64
	// Distance and TravelTime sum the matrix over the legs; Duration is
	// Return - Depart (travel, service and waiting).
	Distance   float64
	TravelTime float64
	Duration   float64
}

// Unassigned is a job the plan does not serve.
type Unassigned struct {
	JobID  string
	Reason Reason
}

// Solution is a plan.
type Solution struct {
	Routes     []Route
	Unassigned []Unassigned
	// Totals over the routes.
	Distance   float64
	TravelTime float64
	Duration   float64
	// Served counts jobs on routes.
	Served int
	// Iterations is the number of search iterations performed.
	Iterations int
}

// shiftEnd returns the vehicle's effective shift end.
func (v *Vehicle) shiftEnd() float64 {
	if v.ShiftEnd == 0 {
		return math.Inf(1)
	}
	return v.ShiftEnd
}

// matrixOf returns the travel matrix of vehicle v (its Profile); v.Profile
// must be valid (see Validate).
func (p *Problem) matrixOf(v *Vehicle) Matrix {
	if v.Profile == 0 {
		return p.Matrix
	}
	return p.Profiles[v.Profile-1]
}

// Validate reports the first structural error of the problem: bad location
// indices, a matrix that is too small, a profile matrix of another size or
// a vehicle profile that does not exist, negative durations or demands,
// duplicate IDs, unknown IDs in Fixed, Preferred or Initial. Solve calls it.
func (p *Problem) Validate() error {
	if p == nil {
		return fmt.Errorf("routing: nil problem")
	}
	if p.Matrix == nil {
		return fmt.Errorf("routing: problem has no matrix")
	}
	n := p.Matrix.Size()
	for k, pm := range p.Profiles {
		if pm == nil {
			return fmt.Errorf("routing: profile %d has no matrix", k+1)
		}
		if pm.Size() != n {
			return fmt.Errorf("routing: profile %d matrix has size %d, Matrix has size %d (profiles share the location indices)", k+1, pm.Size(), n)
		}
	}
	loc := func(what string, i int) error {
		if i < 0 || i >= n {
			return fmt.Errorf("routing: %s location %d outside matrix of size %d", what, i, n)
		}
		return nil
	}
	jobIDs := make(map[string]int, len(p.Jobs))
	for i := range p.Jobs {
		j := &p.Jobs[i]
		if j.ID == "" {
			return fmt.Errorf("routing: job %d has an empty ID", i)
		}
		if _, dup := jobIDs[j.ID]; dup {
			return fmt.Errorf("routing: duplicate job ID %q", j.ID)
		}
		jobIDs[j.ID] = i
		if err := loc(fmt.Sprintf("job %q", j.ID), j.Location); err != nil {
			return err
		}
		if j.Service < 0 || math.IsNaN(j.Service) || math.IsInf(j.Service, 0) {
			return fmt.Errorf("routing: job %q has invalid service duration %v", j.ID, j.Service)
		}
		for k, d := range j.Demand {
			if d < 0 {
				return fmt.Errorf("routing: job %q has negative demand %d in dimension %d", j.ID, d, k)
			}
		}
		for k, w := range j.Windows {
			if math.IsNaN(w.Start) || math.IsNaN(w.End) || w.End < w.Start {
				return fmt.Errorf("routing: job %q has invalid time window %d [%v,%v]", j.ID, k, w.Start, w.End)
			}
			if k > 0 && w.Start <= j.Windows[k-1].End {
				return fmt.Errorf("routing: job %q time windows must be sorted and disjoint", j.ID)
			}
		}
		if j.Priority < 0 {
			return fmt.Errorf("routing: job %q has negative priority", j.ID)
		}
	}
	vehIDs := make(map[string]int, len(p.Vehicles))
	fixedOwner := map[string]string{}
	for i := range p.Vehicles {
		v := &p.Vehicles[i]
		if v.ID == "" {
			return fmt.Errorf("routing: vehicle %d has an empty ID", i)
		}
		if _, dup := vehIDs[v.ID]; dup {
			return fmt.Errorf("routing: duplicate vehicle ID %q", v.ID)
		}
		vehIDs[v.ID] = i
		if err := loc(fmt.Sprintf("vehicle %q start", v.ID), v.Start); err != nil {
			return err
		}
		if v.End != NoEnd {
			if err := loc(fmt.Sprintf("vehicle %q end", v.ID), v.End); err != nil {
				return err
			}
		}
		if v.Profile < 0 || v.Profile > len(p.Profiles) {
			return fmt.Errorf("routing: vehicle %q has profile %d, the problem has profiles 0..%d", v.ID, v.Profile, len(p.Profiles))
		}
		if math.IsNaN(v.ShiftStart) || math.IsNaN(v.ShiftEnd) || (v.ShiftEnd != 0 && v.ShiftEnd < v.ShiftStart) {
			return fmt.Errorf("routing: vehicle %q has invalid shift [%v,%v]", v.ID, v.ShiftStart, v.ShiftEnd)
		}
		if v.MaxDuration < 0 || math.IsNaN(v.MaxDuration) {
			return fmt.Errorf("routing: vehicle %q has negative max duration", v.ID)
		}
		if v.MaxStops < 0 {
			return fmt.Errorf("routing: vehicle %q has negative max stops", v.ID)
		}
		for k, c := range v.Capacity {
			if c < 0 {
				return fmt.Errorf("routing: vehicle %q has negative capacity %d in dimension %d", v.ID, c, k)
			}
		}
		for _, id := range v.Fixed {
			if _, ok := jobIDs[id]; !ok {
				return fmt.Errorf("routing: vehicle %q fixes unknown job %q", v.ID, id)
			}
			if o, ok := fixedOwner[id]; ok {
				return fmt.Errorf("routing: job %q fixed to both %q and %q", id, o, v.ID)
			}
			fixedOwner[id] = v.ID
		}
	}
	for i := range p.Jobs {
		for _, id := range p.Jobs[i].Preferred {
			if _, ok := vehIDs[id]; !ok {
				return fmt.Errorf("routing: job %q prefers unknown vehicle %q", p.Jobs[i].ID, id)
			}
		}
	}
	seenInit := map[string]bool{}
	for _, r := range p.Initial {
		if _, ok := vehIDs[r.VehicleID]; !ok {
			return fmt.Errorf("routing: initial route for unknown vehicle %q", r.VehicleID)
		}
		for _, id := range r.JobIDs {
			if _, ok := jobIDs[id]; !ok {
				return fmt.Errorf("routing: initial route of %q has unknown job %q", r.VehicleID, id)
			}
			if seenInit[id] {
				return fmt.Errorf("routing: job %q appears twice in the initial solution", id)
			}
			seenInit[id] = true
		}
	}
	// Durations must be non-negative (Unreachable is +Inf, allowed).
	for k, mat := range append([]Matrix{p.Matrix}, p.Profiles...) {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				d := mat.Duration(i, j)
				if d < 0 || math.IsNaN(d) {
					if k == 0 {
						return fmt.Errorf("routing: matrix duration %d->%d is %v", i, j, d)
					}
					return fmt.Errorf("routing: profile %d matrix duration %d->%d is %v", k, i, j, d)
				}
				if n > 2000 {
					// Large matrices: sample the diagonal and first row only.
					break
				}
			}
		}
	}
	return nil
}
