package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.PlanStore = (*DB)(nil)

// StartPlanningJob implements dispatch.PlanStore. In one transaction it
// records the job users see and queues the River job that runs it, so a
// plan is either accepted and will run (surviving restarts) or refused. The
// partial unique index planning_jobs_one_running_idx (and River's unique
// key on the day) make a second plan of the same day fail on any instance.
func (db *DB) StartPlanningJob(ctx context.Context, actor *dispatch.User, scope dispatch.PlanScope) (int64, error) {
	body, err := json.Marshal(scope)
	if err != nil {
		return 0, fmt.Errorf("marshal scope: %w", err)
	}
	var id int64
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		// One user's running jobs, counted under a per-user lock so two
		// starts at once cannot both pass the cap.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7710, $1::int)`, actor.ID); err != nil {
			return fmt.Errorf("lock planning jobs user=%d: %w", actor.ID, err)
		}
		var mine int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM planning_jobs WHERE created_by = $1 AND status = 'running'
			AND created_at >= now() - interval '10 minutes'`, actor.ID).Scan(&mine); err != nil {
			return fmt.Errorf("count planning jobs user=%d: %w", actor.ID, err)
		}
		if err := dispatch.CheckRunningPlans(mine, dispatch.MaxRunningPlansPerUser); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO planning_jobs (scope_key, scope, created_by, message)
			VALUES ($1, $2, $3, 'queued') RETURNING id`, scope.Key(), body, actor.ID).Scan(&id)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return db.planRunning(ctx, scope)
		} else if err != nil {
			return fmt.Errorf("insert planning job: %w", err)
		}
		res, err := db.insertJob(ctx, tx, PlanArgs{PlanningJobID: id, Day: scope.Day, Scope: scope, Actor: *actor}, nil)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE planning_jobs SET river_job_id = $2 WHERE id = $1`, id, res.Job.ID); err != nil {
			return fmt.Errorf("link planning job id=%d: %w", id, err)
		}
		_, err = appendEvent(ctx, tx, dispatch.EventPlanStarted, "plan", id, nil, map[string]any{"id": id, "scope": scope})
		return err
	})
	return id, err
}

// planRunning is the conflict answered while a plan of the day is queued or
// running.
func (db *DB) planRunning(ctx context.Context, scope dispatch.PlanScope) error {
	var running int64
	_ = db.pool.QueryRow(ctx, `SELECT id FROM planning_jobs WHERE scope_key = $1 AND status = 'running'`, scope.Key()).Scan(&running)
	return dispatch.Errorf(dispatch.ECONFLICT, "Planning job #%d for %s is still running; wait for it to finish.", running, scope.Day).
		WithDetail(map[string]any{"running_job_id": running})
}

// ClaimPlanningJob records that queue attempt `attempt` now owns the job (only
// it may save) and reports whether the job still waits for a result.
func (db *DB) ClaimPlanningJob(ctx context.Context, jobID int64, attempt, maxAttempts int) (bool, error) {
	msg := "started"
	if attempt > 1 {
		msg = fmt.Sprintf("started again (attempt %d of %d) after an interruption", attempt, maxAttempts)
	}
	var current bool
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE planning_jobs SET attempt = $2, message = $3, progress = 0 WHERE id = $1 AND status = 'running'`, jobID, attempt, msg)
		if err != nil {
			return fmt.Errorf("claim planning job id=%d: %w", jobID, err)
		}
		if current = tag.RowsAffected() == 1; !current {
			return nil
		}
		_, err = appendEvent(ctx, tx, dispatch.EventPlanProgress, "plan", jobID, nil, map[string]any{"id": jobID, "progress": 0, "message": msg, "attempt": attempt})
		return err
	})
	return current, err
}

// failOrphanPlanningJobs fails planning jobs whose queue job is over without
// having saved a result (discarded after its last attempt, cancelled, or
// removed), so that no day stays blocked by a job that will never finish.
func (db *DB) failOrphanPlanningJobs(ctx context.Context) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE planning_jobs p SET status = 'failed', finished_at = now(),
				message = 'interrupted too often: the planning run stopped ' || coalesce(j.attempt, 0) || ' times; start it again'
			FROM planning_jobs p2 LEFT JOIN river_job j ON j.id = p2.river_job_id
			WHERE p.id = p2.id AND p.status = 'running' AND p.river_job_id IS NOT NULL
			  AND (j.id IS NULL OR j.state IN ('completed', 'discarded', 'cancelled'))
			RETURNING p.id, p.message`)
		if err != nil {
			return fmt.Errorf("fail orphan planning jobs: %w", err)
		}
		type failed struct {
			id  int64
			msg string
		}
		var list []failed
		for rows.Next() {
			var f failed
			if err := rows.Scan(&f.id, &f.msg); err != nil {
				rows.Close()
				return fmt.Errorf("scan orphan planning job: %w", err)
			}
			list = append(list, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("fail orphan planning jobs: %w", err)
		}
		for _, f := range list {
			if _, err := appendEvent(ctx, tx, dispatch.EventPlanFailed, "plan", f.id, nil, map[string]any{"id": f.id, "message": f.msg}); err != nil {
				return err
			}
		}
		return nil
	})
}

// PlanningProgress implements dispatch.PlanStore.
func (db *DB) PlanningProgress(ctx context.Context, jobID int64, pct int, msg string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE planning_jobs SET progress = $2, message = $3 WHERE id = $1`, jobID, pct, msg); err != nil {
			return fmt.Errorf("update planning job id=%d: %w", jobID, err)
		}
		_, err := appendEvent(ctx, tx, dispatch.EventPlanProgress, "plan", jobID, nil, map[string]any{"id": jobID, "progress": pct, "message": msg})
		return err
	})
}

// FailPlanningJob implements dispatch.PlanStore. A job already finished, or
// owned by another attempt, stays as it is.
func (db *DB) FailPlanningJob(ctx context.Context, job dispatch.PlanAttempt, msg string) error {
	jobID := job.JobID
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE planning_jobs SET status = 'failed', message = $2, finished_at = now()
			WHERE id = $1 AND status = 'running' AND attempt = $3`, jobID, msg, job.Attempt)
		if err != nil {
			return fmt.Errorf("fail planning job id=%d: %w", jobID, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		_, err = appendEvent(ctx, tx, dispatch.EventPlanFailed, "plan", jobID, nil, map[string]any{"id": jobID, "message": msg})
		return err
	})
}

// FindPlanningJob returns a planning job by id.
func (db *DB) FindPlanningJob(ctx context.Context, id int64) (*dispatch.PlanningJob, error) {
	var j dispatch.PlanningJob
	err := db.pool.QueryRow(ctx, `SELECT id, status, progress, message, scope, result FROM planning_jobs WHERE id = $1`, id).
		Scan(&j.ID, &j.Status, &j.Progress, &j.Message, &j.Scope, &j.Result)
	if err != nil {
		return nil, translate(err, "Planning job")
	}
	return &j, nil
}

// LoadPlanInput implements dispatch.PlanStore. It reads the open requests of
// the scope, every request already in a draft or pending on a live route of
// the day (re-planning replaces the day's drafts and may reorder live
// routes), and the active teams with members, lead and live route.
func (db *DB) LoadPlanInput(ctx context.Context, scope dispatch.PlanScope, rules dispatch.PlanRules) (*dispatch.PlanInput, error) {
	in := &dispatch.PlanInput{Now: db.Now()}
	// The snapshot first: whatever changes after it is seen when saving.
	snap, err := readDaySnapshot(ctx, db.pool, scope.Day)
	if err != nil {
		return nil, err
	}
	in.Snapshot = snap
	var area any
	if len(scope.Area) > 0 {
		area = wkb.Value(scope.Area)
	}
	rows, err := db.pool.Query(ctx, `
		SELECT r.id, r.kind, ST_AsBinary(r.location::geometry), r.priority, r.window_start, r.window_end,
			r.service_minutes, r.packages, coalesce(c.preferred_language, ''), c.last_team_id, r.status,
			c.id IS NOT NULL, coalesce(c.consent, false), r.visit_approved_at IS NOT NULL
		FROM requests r LEFT JOIN care_addresses c ON c.id = r.care_address_id
		WHERE (r.status = 'new'
			AND (r.due_day IS NULL OR r.due_day = $1::date)
			AND (coalesce(cardinality($2::text[]), 0) = 0 OR r.kind = ANY($2))
			AND (coalesce(cardinality($3::bigint[]), 0) = 0 OR r.district_id = ANY($3))
			AND ($4::bytea IS NULL OR ST_Contains(ST_GeomFromWKB($4, 4326), r.location::geometry)))
		   OR r.id IN (SELECT s.request_id FROM stops s JOIN routes ro ON ro.id = s.route_id
				WHERE ro.day = $1::date AND s.status = 'pending'
				  AND ro.status IN ('draft', 'published', 'in_progress'))
		ORDER BY r.id`, scope.Day, scope.Kinds, scope.DistrictIDs, area)
	if err != nil {
		return nil, fmt.Errorf("load plan requests: %w", err)
	}
	for rows.Next() {
		var r dispatch.PlanRequest
		var forPensioner, consent, approved bool
		if err := rows.Scan(&r.ID, &r.Kind, wkb.Scanner(&r.Location), &r.Priority, &r.WindowStart, &r.WindowEnd,
			&r.ServiceMinutes, &r.Packages, &r.PreferredLanguage, &r.LastTeamID, &r.Status, &forPensioner, &consent, &approved); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan plan request: %w", err)
		}
		r.HeldForConsent = r.Status == dispatch.StatusNew && !dispatch.VisitAllowed(forPensioner, consent, approved)
		in.Requests = append(in.Requests, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load plan requests: %w", err)
	}

	teams, err := db.FindTeams(ctx, true)
	if err != nil {
		return nil, err
	}
	vols, err := db.teamVolunteers(ctx)
	if err != nil {
		return nil, err
	}
	live, err := db.FindRoutes(ctx, dispatch.RouteFilter{Day: scope.Day, Statuses: []dispatch.RouteStatus{dispatch.RoutePublished, dispatch.RouteInProgress}})
	if err != nil {
		return nil, err
	}
	positions, err := db.lastPositions(ctx)
	if err != nil {
		return nil, err
	}
	liveByTeam := map[int64]*dispatch.Route{}
	for _, r := range live {
		liveByTeam[r.TeamID] = r
	}
	for _, t := range teams {
		pt := dispatch.PlanTeam{Team: *t, Live: liveByTeam[t.ID]}
		for _, v := range vols[t.ID] {
			pt.Members = append(pt.Members, v)
			if t.LeadVolunteerID != nil && v.ID == *t.LeadVolunteerID {
				lead := v
				pt.Lead = &lead
			}
		}
		if pos, ok := positions[t.ID]; ok {
			pt.Position = &pos
		}
		in.Teams = append(in.Teams, pt)
	}
	return in, nil
}

// lastPositions returns every team's last reported position, in one query.
func (db *DB) lastPositions(ctx context.Context) (map[int64]orb.Point, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, ST_AsBinary(last_position::geometry) FROM teams WHERE last_position IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("load team positions: %w", err)
	}
	defer rows.Close()
	out := map[int64]orb.Point{}
	for rows.Next() {
		var id int64
		var p orb.Point
		if err := rows.Scan(&id, wkb.Scanner(&p)); err != nil {
			return nil, fmt.Errorf("scan team position: %w", err)
		}
		out[id] = p
	}
	return out, rows.Err()
}

func (db *DB) teamVolunteers(ctx context.Context) (map[int64][]dispatch.Volunteer, error) {
	rows, err := db.pool.Query(ctx, `SELECT tm.team_id, v.id, v.full_name, v.birth_year, v.languages, v.organisation_id, v.active
		FROM team_members tm JOIN volunteers v ON v.id = tm.volunteer_id WHERE v.active ORDER BY tm.team_id, v.id`)
	if err != nil {
		return nil, fmt.Errorf("load team members: %w", err)
	}
	defer rows.Close()
	out := map[int64][]dispatch.Volunteer{}
	for rows.Next() {
		var team int64
		var v dispatch.Volunteer
		if err := rows.Scan(&team, &v.ID, &v.FullName, &v.BirthYear, &v.Languages, &v.OrganisationID, &v.Active); err != nil {
			return nil, fmt.Errorf("scan team member: %w", err)
		}
		out[team] = append(out[team], v)
	}
	return out, rows.Err()
}

const teamColumns = `t.id, t.name, t.organisation_id, t.lead_volunteer_id, ST_AsBinary(t.base::geometry), t.has_vehicle,
	t.capacity_packages, t.skills, t.languages, to_char(t.shift_start, 'HH24:MI'), to_char(t.shift_end, 'HH24:MI'), t.color, t.active,
	coalesce((SELECT array_agg(volunteer_id ORDER BY volunteer_id) FROM team_members WHERE team_id = t.id), '{}'), t.version`

func scanTeam(row pgx.Row) (*dispatch.Team, error) {
	var t dispatch.Team
	err := row.Scan(&t.ID, &t.Name, &t.OrganisationID, &t.LeadVolunteerID, wkb.Scanner(&t.Base), &t.HasVehicle,
		&t.CapacityPackages, &t.Skills, &t.Languages, &t.ShiftStart, &t.ShiftEnd, &t.Color, &t.Active, &t.MemberIDs, &t.Version)
	return &t, err
}

// FindTeams returns teams ordered by id, only active ones when activeOnly.
func (db *DB) FindTeams(ctx context.Context, activeOnly bool) ([]*dispatch.Team, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.active OR NOT $1 ORDER BY t.id`, activeOnly)
	if err != nil {
		return nil, fmt.Errorf("find teams: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.Team, error) { return scanTeam(row) })
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readDaySnapshot reads where each request of the day's routes is.
func readDaySnapshot(ctx context.Context, q querier, day string) (dispatch.PlanSnapshot, error) {
	snap := dispatch.PlanSnapshot{Taken: true, Stops: map[int64]dispatch.SnapshotStop{}, Routes: map[int64]dispatch.RouteStatus{}}
	rows, err := q.Query(ctx, `SELECT id, status FROM routes WHERE day = $1::date`, day)
	if err != nil {
		return snap, fmt.Errorf("read routes day=%s: %w", day, err)
	}
	for rows.Next() {
		var id int64
		var st dispatch.RouteStatus
		if err := rows.Scan(&id, &st); err != nil {
			rows.Close()
			return snap, fmt.Errorf("scan route day=%s: %w", day, err)
		}
		snap.Routes[id] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return snap, fmt.Errorf("read routes day=%s: %w", day, err)
	}
	// Of a request's several stops (a failed visit, then another), the
	// one still to be visited counts, else the newest.
	rows, err = q.Query(ctx, `SELECT s.request_id, s.id, s.route_id, s.version, s.status, s.locked, ro.status
		FROM stops s JOIN routes ro ON ro.id = s.route_id
		WHERE ro.day = $1::date AND s.status <> 'removed'
		ORDER BY s.request_id, s.status IN ('pending', 'arrived'), s.id`, day)
	if err != nil {
		return snap, fmt.Errorf("read stops day=%s: %w", day, err)
	}
	defer rows.Close()
	for rows.Next() {
		var req int64
		var st dispatch.SnapshotStop
		if err := rows.Scan(&req, &st.StopID, &st.RouteID, &st.Version, &st.Status, &st.Locked, &st.RouteStatus); err != nil {
			return snap, fmt.Errorf("scan stop day=%s: %w", day, err)
		}
		snap.Stops[req] = st // the ordering leaves the one that counts last
	}
	return snap, rows.Err()
}

// SavePlan implements dispatch.PlanStore. The plan is a proposal made on
// out.Snapshot: with the day's routes locked, each request the plan places
// or takes off a route is compared with where it is now
// (dispatch.PlanMayOverwrite); where the current place wins, it stays and
// the plan's proposal for it is dropped and listed in out.Kept. The rest is
// applied: untouched drafts are replaced, edited ones keep their kept stops
// and take the team's new ones after them, live routes get their pending
// stops reordered. The partial exclusion constraint
// stops_one_live_stop_per_request (migration 0006) backs the rule that no
// request is ever on two routes.
func (db *DB) SavePlan(ctx context.Context, job dispatch.PlanAttempt, actor *dispatch.User, scope dispatch.PlanScope, out *dispatch.PlanOutput) error {
	now := db.Now()
	jobID := job.JobID
	return db.inTx(ctx, func(tx pgx.Tx) error {
		// Only the attempt that owns a job still waiting for its result may
		// save: a run handed on after a lost connection must not save twice.
		var status string
		var attempt int
		if err := tx.QueryRow(ctx, `SELECT status, attempt FROM planning_jobs WHERE id = $1 FOR UPDATE`, jobID).Scan(&status, &attempt); err != nil {
			return translate(err, "Planning job")
		}
		if status != "running" || attempt != job.Attempt {
			return dispatch.Errorf(dispatch.ECONFLICT, "Planning job #%d is no longer current; its result was not saved.", jobID)
		}
		rows, err := tx.Query(ctx, `SELECT id FROM routes WHERE day = $1::date`, scope.Day)
		if err != nil {
			return fmt.Errorf("read routes day=%s: %w", scope.Day, err)
		}
		dayRoutes, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("read routes day=%s: %w", scope.Day, err)
		}
		if err := lockRoutes(ctx, tx, dayRoutes...); err != nil {
			return err
		}
		cur, err := readDaySnapshot(ctx, tx, scope.Day)
		if err != nil {
			return err
		}
		snap := out.Snapshot
		if !snap.Taken {
			snap = cur // a plan made without a snapshot proposes on the present
		}
		p := newProposal(out, snap, cur)
		if err := p.checkRequests(ctx, tx); err != nil {
			return err
		}

		// Drafts: stops that lost to the present stay; the rest go, their
		// requests back to new unless the plan places them again.
		keptDraft := map[int64]int64{} // team -> kept draft route
		rows, err = tx.Query(ctx, `SELECT id, team_id FROM routes WHERE day = $1::date AND status = 'draft'`, scope.Day)
		if err != nil {
			return fmt.Errorf("read drafts: %w", err)
		}
		type draft struct{ id, team int64 }
		drafts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (draft, error) {
			var d draft
			return d, r.Scan(&d.id, &d.team)
		})
		if err != nil {
			return fmt.Errorf("read drafts: %w", err)
		}
		for _, d := range drafts {
			_, err := tx.Exec(ctx, `WITH d AS (DELETE FROM stops WHERE route_id = $1 AND NOT (request_id = ANY($2)) RETURNING request_id)
				UPDATE requests SET status = 'new', updated_at = $3 WHERE status = 'planned' AND id IN (SELECT request_id FROM d)`,
				d.id, p.keptIDs(), now)
			if err != nil {
				return fmt.Errorf("clear draft route=%d: %w", d.id, err)
			}
			var left int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM stops WHERE route_id = $1`, d.id).Scan(&left); err != nil {
				return fmt.Errorf("count draft stops route=%d: %w", d.id, err)
			}
			if left == 0 {
				if _, err := tx.Exec(ctx, `DELETE FROM routes WHERE id = $1`, d.id); err != nil {
					return fmt.Errorf("delete draft route=%d: %w", d.id, err)
				}
			} else {
				keptDraft[d.team] = d.id
			}
		}
		// Teams whose route went live while planning: their new draft
		// would be a second route for the day.
		liveNow := map[int64]bool{}
		rows, err = tx.Query(ctx, `SELECT id, team_id, status FROM routes WHERE day = $1::date AND status IN ('published', 'in_progress')`, scope.Day)
		if err != nil {
			return fmt.Errorf("read live routes: %w", err)
		}
		for rows.Next() {
			var id, team int64
			var st dispatch.RouteStatus
			if err := rows.Scan(&id, &team, &st); err != nil {
				rows.Close()
				return fmt.Errorf("scan live route: %w", err)
			}
			liveNow[team] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read live routes: %w", err)
		}

		// A request may move between live routes; it is reopened only if the
		// plan keeps it nowhere.
		var placed []int64
		for _, pr := range out.Routes {
			for _, s := range pr.Stops {
				if !p.wins(s.RequestID) {
					placed = append(placed, s.RequestID)
				}
			}
		}
		for i := range out.Routes {
			pr := &out.Routes[i]
			if pr.LiveID != 0 {
				if st, ok := cur.Routes[pr.LiveID]; !ok || !st.Live() {
					p.dropRoute(pr, fmt.Sprintf("route %d was %s while planning", pr.LiveID, st))
					continue
				}
				if err := replanLive(ctx, tx, pr, p, placed, now); err != nil {
					return err
				}
				continue
			}
			if liveNow[pr.TeamID] {
				p.dropRoute(pr, "the team's route was published while planning; plan again to add to it")
				continue
			}
			stops := p.filter(pr.Stops)
			if len(stops) == 0 {
				continue
			}
			if err := insertDraft(ctx, tx, jobID, scope.Day, pr, stops, keptDraft[pr.TeamID], now); err != nil {
				return err
			}
		}
		for _, u := range out.Unplanned {
			if _, err := tx.Exec(ctx, `UPDATE requests SET unassigned_reason = $2, updated_at = $3 WHERE id = $1 AND status IN ('new', 'planned')`, u.RequestID, u.Reason, now); err != nil {
				return fmt.Errorf("mark unplanned request=%d: %w", u.RequestID, err)
			}
		}
		out.Kept = p.kept
		result, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("marshal plan result: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE planning_jobs SET status = 'done', progress = 100, message = 'done', result = $2, finished_at = $3 WHERE id = $1`,
			jobID, result, now); err != nil {
			return fmt.Errorf("finish planning job id=%d: %w", jobID, err)
		}
		_, err = appendEvent(ctx, tx, dispatch.EventPlanFinished, "plan", jobID, nil, map[string]any{"id": jobID, "result": json.RawMessage(result)})
		return err
	})
}

// proposal tracks which requests' current place wins over a plan.
type proposal struct {
	out       *dispatch.PlanOutput
	snap, cur dispatch.PlanSnapshot
	won       map[int64]bool
	kept      []dispatch.KeptStop
}

func newProposal(out *dispatch.PlanOutput, snap, cur dispatch.PlanSnapshot) *proposal {
	p := &proposal{out: out, snap: snap, cur: cur, won: map[int64]bool{}, kept: []dispatch.KeptStop{}}
	seen := map[int64]bool{}
	check := func(req int64) {
		if seen[req] {
			return
		}
		seen[req] = true
		var before, now *dispatch.SnapshotStop
		if s, ok := snap.Stops[req]; ok {
			before = &s
		}
		if s, ok := cur.Stops[req]; ok {
			now = &s
		}
		if reason := dispatch.PlanMayOverwrite(before, now); reason != "" {
			p.win(req, now, reason)
		}
	}
	for _, pr := range out.Routes {
		for _, s := range pr.Stops {
			check(s.RequestID)
		}
	}
	// Requests pending on a route in the snapshot: the plan may take them
	// off (drafts are replaced, live routes lose dropped stops).
	for req, s := range snap.Stops {
		if s.Status == dispatch.StopPending {
			check(req)
		}
	}
	return p
}

func (p *proposal) win(req int64, now *dispatch.SnapshotStop, reason string) {
	if p.won[req] {
		return
	}
	p.won[req] = true
	k := dispatch.KeptStop{RequestID: req, Reason: reason}
	if now != nil {
		k.StopID, k.RouteID = now.StopID, now.RouteID
	}
	p.kept = append(p.kept, k)
}

func (p *proposal) wins(req int64) bool { return p.won[req] }

// checkRequests: a request the plan places that was cancelled, finished or
// failed meanwhile is not placed.
func (p *proposal) checkRequests(ctx context.Context, tx pgx.Tx) error {
	var ids []int64
	for _, pr := range p.out.Routes {
		for _, s := range pr.Stops {
			ids = append(ids, s.RequestID)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, status FROM requests WHERE id = ANY($1) AND status NOT IN ('new', 'planned', 'assigned')`, ids)
	if err != nil {
		return fmt.Errorf("check planned requests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st dispatch.RequestStatus
		if err := rows.Scan(&id, &st); err != nil {
			return fmt.Errorf("scan planned request: %w", err)
		}
		var now *dispatch.SnapshotStop
		if s, ok := p.cur.Stops[id]; ok {
			now = &s
		}
		p.win(id, now, fmt.Sprintf("request became %s while planning", st))
	}
	return rows.Err()
}

// keptIDs are the requests whose current place wins.
func (p *proposal) keptIDs() []int64 {
	ids := make([]int64, 0, len(p.won))
	for id := range p.won {
		ids = append(ids, id)
	}
	return ids
}

// filter drops the stops whose request's current place wins.
func (p *proposal) filter(stops []dispatch.PlannedStop) []dispatch.PlannedStop {
	var out []dispatch.PlannedStop
	for _, s := range stops {
		if !p.won[s.RequestID] {
			out = append(out, s)
		}
	}
	return out
}

// dropRoute gives up a planned route whose team's situation changed: its
// requests are reported unplanned with reason (those kept elsewhere stay).
func (p *proposal) dropRoute(pr *dispatch.PlannedRoute, reason string) {
	for _, s := range pr.Stops {
		if !p.won[s.RequestID] {
			p.out.Unplanned = append(p.out.Unplanned, dispatch.UnplannedRequest{RequestID: s.RequestID, Reason: reason})
			p.out.Assigned--
		}
	}
	pr.Stops = nil
}

// insertDraft writes a team's planned stops as a draft: into the team's
// draft that kept stops (after them), or a new draft route.
func insertDraft(ctx context.Context, tx pgx.Tx, jobID int64, day string, pr *dispatch.PlannedRoute, stops []dispatch.PlannedStop, keptRoute int64, now time.Time) error {
	routeID, base := keptRoute, 0
	if routeID != 0 {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM stops WHERE route_id = $1`, routeID).Scan(&base); err != nil {
			return fmt.Errorf("read draft seq route=%d: %w", routeID, err)
		}
	} else {
		var geom any
		if len(pr.Geometry) >= 2 {
			geom = wkb.Value(pr.Geometry)
		}
		err := tx.QueryRow(ctx, `INSERT INTO routes (team_id, day, status, distance_m, duration_s, geom, plan_id, created_at)
			VALUES ($1, $2::date, 'draft', $3, $4, ST_GeomFromWKB($5, 4326), $6, $7) RETURNING id`,
			pr.TeamID, day, pr.DistanceM, pr.DurationS, geom, jobID, now).Scan(&routeID)
		if err != nil {
			return fmt.Errorf("insert draft route team=%d: %w", pr.TeamID, err)
		}
	}
	ids := make([]int64, len(stops))
	for k, s := range stops {
		ids[k] = s.RequestID
		if _, err := tx.Exec(ctx, `INSERT INTO stops (route_id, request_id, seq, eta, locked, language_match, travel_s, distance_m)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, routeID, s.RequestID, base+k+1, s.ETA, s.Locked, s.LanguageMatch, s.TravelS, s.DistanceM); err != nil {
			return fmt.Errorf("insert stop route=%d request=%d: %w", routeID, s.RequestID, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE requests SET status = 'planned', unassigned_reason = '', updated_at = $2
		WHERE id = ANY($1) AND status IN ('new', 'planned', 'assigned')`, ids, now); err != nil {
		return fmt.Errorf("mark planned: %w", err)
	}
	_, err := appendEvent(ctx, tx, dispatch.EventRouteDrafted, "route", routeID, nil,
		map[string]any{"id": routeID, "team_id": pr.TeamID, "day": day, "stops": len(stops), "plan_id": jobID})
	return err
}

// replanLive rewrites the pending part of a live route: done, arrived and
// other final stops keep their place, and so do stops whose current place
// wins over the plan; the other pending stops follow the new order; stops
// the plan dropped are removed and their requests reopened.
func replanLive(ctx context.Context, tx pgx.Tx, pr *dispatch.PlannedRoute, p *proposal, placed []int64, now time.Time) error {
	var teamID int64
	if err := tx.QueryRow(ctx, `SELECT team_id FROM routes WHERE id = $1`, pr.LiveID).Scan(&teamID); err != nil {
		return translate(err, "Route")
	}
	stops := p.filter(pr.Stops)
	keep := make([]int64, len(stops))
	for i, s := range stops {
		keep[i] = s.RequestID
	}
	// Dropped stops: removed, request open again (kept ones stay).
	if _, err := tx.Exec(ctx, `WITH d AS (UPDATE stops SET status = 'removed', seq = 0 WHERE route_id = $1 AND status = 'pending'
			AND NOT (request_id = ANY($2)) AND NOT (request_id = ANY($5)) RETURNING request_id)
		UPDATE requests SET status = 'new', updated_at = $3 WHERE id IN (SELECT request_id FROM d) AND NOT (id = ANY($4))`,
		pr.LiveID, keep, now, placed, p.keptIDs()); err != nil {
		return fmt.Errorf("drop stops route=%d: %w", pr.LiveID, err)
	}
	// Pending stops the plan moved elsewhere leave first, so the request is
	// on one route at every moment.
	if _, err := tx.Exec(ctx, `UPDATE stops SET status = 'removed', seq = 0 WHERE status = 'pending' AND request_id = ANY($1) AND route_id <> $2
			AND route_id IN (SELECT id FROM routes WHERE status IN ('published', 'in_progress'))`, keep, pr.LiveID); err != nil {
		return fmt.Errorf("move stops to route=%d: %w", pr.LiveID, err)
	}
	var maxSeq int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM stops WHERE route_id = $1 AND status NOT IN ('pending', 'removed')`, pr.LiveID).Scan(&maxSeq); err != nil {
		return fmt.Errorf("read route seq: %w", err)
	}
	// Kept pending stops go first, in their order, then the plan's.
	rows, err := tx.Query(ctx, `SELECT id FROM stops WHERE route_id = $1 AND status = 'pending' AND request_id = ANY($2) ORDER BY seq, id`, pr.LiveID, p.keptIDs())
	if err != nil {
		return fmt.Errorf("read kept stops route=%d: %w", pr.LiveID, err)
	}
	keptStops, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("read kept stops route=%d: %w", pr.LiveID, err)
	}
	for _, id := range keptStops {
		maxSeq++
		if _, err := tx.Exec(ctx, `UPDATE stops SET seq = $2 WHERE id = $1`, id, maxSeq); err != nil {
			return fmt.Errorf("resequence kept stop=%d: %w", id, err)
		}
	}
	for i, s := range stops {
		seq := maxSeq + i + 1
		tag, err := tx.Exec(ctx, `UPDATE stops SET seq = $3, eta = $4, travel_s = $5, distance_m = $6, language_match = $7
			WHERE route_id = $1 AND request_id = $2 AND status = 'pending'`, pr.LiveID, s.RequestID, seq, s.ETA, s.TravelS, s.DistanceM, s.LanguageMatch)
		if err != nil {
			return fmt.Errorf("update stop route=%d request=%d: %w", pr.LiveID, s.RequestID, err)
		}
		if tag.RowsAffected() == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO stops (route_id, request_id, seq, eta, language_match, travel_s, distance_m)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, pr.LiveID, s.RequestID, seq, s.ETA, s.LanguageMatch, s.TravelS, s.DistanceM); err != nil {
				return fmt.Errorf("insert stop route=%d request=%d: %w", pr.LiveID, s.RequestID, err)
			}
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE requests SET status = 'assigned', unassigned_reason = '', updated_at = $2 WHERE id = ANY($1) AND status IN ('new', 'planned', 'assigned')`, keep, now); err != nil {
		return fmt.Errorf("assign requests: %w", err)
	}
	var geom any
	if len(pr.Geometry) >= 2 {
		geom = wkb.Value(pr.Geometry)
	}
	if _, err := tx.Exec(ctx, `UPDATE routes SET geom = coalesce(ST_GeomFromWKB($2, 4326), geom), distance_m = $3, duration_s = $4 WHERE id = $1`,
		pr.LiveID, geom, pr.DistanceM, pr.DurationS); err != nil {
		return fmt.Errorf("update route=%d: %w", pr.LiveID, err)
	}
	_, err = appendEvent(ctx, tx, dispatch.EventRouteChanged, "route", pr.LiveID, &teamID, map[string]any{"id": pr.LiveID, "team_id": teamID, "reason": "replanned"})
	return err
}
