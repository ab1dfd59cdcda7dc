package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
	"github.com/qamqor/qamqor/routing"
)

// planFixture is a day with one team and a few requests, and a planner.
func planFixture(t *testing.T) (*postgres.DB, *dispatch.User, *dispatch.Planner, dispatch.PlanScope) {
	t.Helper()
	db := pgtest.MustOpen(t)
	rules := dispatch.DefaultPlanRules()
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	mustTeam(t, db, org, teamSpec{name: "North", base: orb.Point{71.43, 51.18}, skills: []string{"shovels"}, capacity: 10, members: []int{1990}, langs: []string{"ru"}})
	for i := 0; i < 3; i++ {
		mustRequest(t, db, disp, dispatch.SnowClearing, orb.Point{71.42 + 0.005*float64(i), 51.185}, dispatch.Normal)
	}
	// A day far enough ahead that every shift is still to come.
	day := time.Now().In(rules.Location).AddDate(0, 0, 2).Format(time.DateOnly)
	scope := dispatch.PlanScope{Day: day, TimeLimitS: 0.5}
	if err := scope.Normalize(); err != nil {
		t.Fatal(err)
	}
	planner := &dispatch.Planner{Store: db, Travel: func() dispatch.Travel { return dispatch.HaversineTravel{} }, Rules: rules}
	return db, disp, planner, scope
}

func waitJob(t *testing.T, db *postgres.DB, id int64, want string, within time.Duration) *dispatch.PlanningJob {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		job, err := db.FindPlanningJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if job.Status == want {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("planning job %d status=%s (%s) after %v, want %s", id, job.Status, job.Message, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func riverState(t *testing.T, db *postgres.DB, planningID int64) (state string, attempt int) {
	t.Helper()
	if err := db.Pool().QueryRow(context.Background(), `SELECT j.state::text, j.attempt FROM river_job j JOIN planning_jobs p ON p.river_job_id = j.id WHERE p.id = $1`,
		planningID).Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	return state, attempt
}

// A plan started through the planner is queued in the same transaction and
// a worker of the queue runs it to the end.
func TestJobsRunPlan(t *testing.T) {
	ctx := context.Background()
	db, disp, planner, scope := planFixture(t)
	id, err := planner.Start(ctx, disp, scope)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := db.StartJobs(ctx, postgres.JobsConfig{Planner: planner})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(ctx)
	job := waitJob(t, db, id, "done", 30*time.Second)
	if job.Progress != 100 {
		t.Fatalf("progress=%d, want 100", job.Progress)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, _ := riverState(t, db, id); st == "completed" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("queue job state=%s, want completed", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The day can be planned again at once.
	if _, err := planner.Start(ctx, disp, scope); err != nil {
		t.Fatalf("second plan of the day: %v", err)
	}
}

// A job whose process died (running, nobody holds its liveness lock) is
// handed back to the queue by the reaper and then runs to the end; a job
// whose worker is alive (lock held) is left alone.
func TestJobsReapInterrupted(t *testing.T) {
	ctx := context.Background()
	db, disp, planner, scope := planFixture(t)
	id, err := planner.Start(ctx, disp, scope)
	if err != nil {
		t.Fatal(err)
	}
	// What kill -9 leaves behind: the queue job running, attempted a
	// while ago, by a process that no longer exists.
	var riverID int64
	if err := db.Pool().QueryRow(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '30 seconds',
		attempted_by = ARRAY['dead-process'] WHERE id = (SELECT river_job_id FROM planning_jobs WHERE id = $1) RETURNING id`, id).Scan(&riverID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE planning_jobs SET attempt = 1 WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	// Today's behaviour would be a 409 for this day until the job expires.
	if _, err := planner.Start(ctx, disp, scope); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Fatalf("plan while one is running: code=%q, want conflict", dispatch.ErrorCode(err))
	}

	// A live worker holds the lock: the reaper must not touch its job.
	holder, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := db.JobLockKey(riverID)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, k1, k2); err != nil {
		t.Fatal(err)
	}
	if n, err := db.ReapJobs(ctx); err != nil || n != 0 {
		t.Fatalf("reap with the lock held: n=%d err=%v, want 0", n, err)
	}
	if st, _ := riverState(t, db, id); st != "running" {
		t.Fatalf("state with the lock held=%s, want running", st)
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, k1, k2); err != nil {
		t.Fatal(err)
	}
	holder.Release()

	// Nobody holds it: the job goes back to the queue.
	if n, err := db.ReapJobs(ctx); err != nil || n != 1 {
		t.Fatalf("reap: n=%d err=%v, want 1", n, err)
	}
	if st, attempt := riverState(t, db, id); st != "retryable" || attempt != 1 {
		t.Fatalf("after reap state=%s attempt=%d, want retryable 1", st, attempt)
	}
	jobs, err := db.StartJobs(ctx, postgres.JobsConfig{Planner: planner})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(ctx)
	waitJob(t, db, id, "done", 30*time.Second)
	if _, attempt := riverState(t, db, id); attempt != 2 {
		t.Fatalf("attempt=%d, want 2 (run again after the interruption)", attempt)
	}
}

// A job interrupted on its last attempt is discarded, and its planning job
// fails with a message instead of blocking the day.
func TestJobsReapLastAttemptFailsPlan(t *testing.T) {
	ctx := context.Background()
	db, disp, planner, scope := planFixture(t)
	id, err := planner.Start(ctx, disp, scope)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE river_job SET state = 'running', attempt = max_attempts, attempted_at = now() - interval '30 seconds'
		WHERE id = (SELECT river_job_id FROM planning_jobs WHERE id = $1)`, id); err != nil {
		t.Fatal(err)
	}
	if n, err := db.ReapJobs(ctx); err != nil || n != 1 {
		t.Fatalf("reap: n=%d err=%v, want 1", n, err)
	}
	if st, _ := riverState(t, db, id); st != "discarded" {
		t.Fatalf("state=%s, want discarded", st)
	}
	job := waitJob(t, db, id, "failed", time.Second)
	if job.Message == "" {
		t.Fatal("failed job has no message")
	}
	if _, err := planner.Start(ctx, disp, scope); err != nil {
		t.Fatalf("plan after the failed one: %v", err)
	}
}

// Stopping the workers cancels a running plan after the drain timeout; the
// queue keeps it (retryable) and the planning job stays open, so the next
// start finishes it.
func TestJobsStopHandsBackRunningPlan(t *testing.T) {
	ctx := context.Background()
	db, disp, planner, scope := planFixture(t)
	slow := &dispatch.Planner{Store: db, Rules: planner.Rules, Travel: func() dispatch.Travel { return slowTravel{dispatch.HaversineTravel{}} }}
	id, err := slow.Start(ctx, disp, scope)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := db.StartJobs(ctx, postgres.JobsConfig{Planner: slow})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st, _ := riverState(t, db, id); st == "running" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("job never ran (state %s)", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := jobs.Stop(sctx); err != nil {
		t.Logf("stop: %v", err)
	}
	if st, _ := riverState(t, db, id); st != "retryable" && st != "available" {
		t.Fatalf("after stop state=%s, want retryable", st)
	}
	if job, _ := db.FindPlanningJob(ctx, id); job.Status != "running" {
		t.Fatalf("planning job after stop=%s (%s), want still running (queued for retry)", job.Status, job.Message)
	}
	jobs2, err := db.StartJobs(ctx, postgres.JobsConfig{Planner: planner})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs2.Stop(ctx)
	waitJob(t, db, id, "done", 30*time.Second)
}

// slowTravel makes building the matrix take until the context ends.
type slowTravel struct{ dispatch.HaversineTravel }

func (s slowTravel) Matrix(ctx context.Context, pts []orb.Point, mode dispatch.Mode) (routing.Matrix, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// Idempotency keys older than the TTL are forgotten; newer ones stay.
func TestPurgeIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	in := normalized(t, dispatch.RequestInput{Kind: dispatch.SnowClearing, AddressText: "old", Lat: f64(51.18), Lon: f64(71.43), Force: true, IdempotencyKey: "old-key"})
	old, _, err := db.CreateRequest(ctx, disp, in)
	if err != nil {
		t.Fatal(err)
	}
	in = normalized(t, dispatch.RequestInput{Kind: dispatch.SnowClearing, AddressText: "new", Lat: f64(51.17), Lon: f64(71.43), Force: true, IdempotencyKey: "new-key"})
	if _, _, err := db.CreateRequest(ctx, disp, in); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE requests SET created_at = now() - interval '8 days' WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	n, err := db.PurgeIdempotencyKeys(ctx, time.Now().Add(-postgres.IdempotencyKeyTTL))
	if err != nil || n != 1 {
		t.Fatalf("purge n=%d err=%v, want 1", n, err)
	}
	var keys []string
	rows, _ := db.Pool().Query(ctx, `SELECT idempotency_key FROM requests WHERE idempotency_key IS NOT NULL`)
	keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(keys) != 1 || keys[0] != "new-key" {
		t.Fatalf("keys left=%v err=%v, want [new-key]", keys, err)
	}
}
