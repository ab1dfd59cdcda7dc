package postgres_test

import (
	"context"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestPlanningJobsPerUser: one user may not keep more than
// dispatch.MaxRunningPlansPerUser planning jobs running at once (each is a
// solver on a shared CPU), whatever the days; another user may, and a
// finished job frees its slot.
func TestPlanningJobsPerUser(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	other := mustUser(t, db, "disp2", dispatch.RoleDispatcher)
	start := func(u *dispatch.User, day string) (int64, error) {
		s := dispatch.PlanScope{Day: day}
		if err := s.Normalize(); err != nil {
			t.Fatal(err)
		}
		return db.StartPlanningJob(ctx, u, s)
	}
	var first int64
	for i := 0; i < dispatch.MaxRunningPlansPerUser; i++ {
		id, err := start(disp, []string{"2030-01-01", "2030-01-02", "2030-01-03", "2030-01-04"}[i])
		if err != nil {
			t.Fatalf("job %d: %v", i+1, err)
		}
		if i == 0 {
			first = id
		}
	}
	if _, err := start(disp, "2030-02-01"); dispatch.ErrorCode(err) != dispatch.ETOOMANY {
		t.Fatalf("job over the cap: code=%q (%v), want %q", dispatch.ErrorCode(err), err, dispatch.ETOOMANY)
	}
	if _, err := start(other, "2030-02-01"); err != nil {
		t.Fatalf("another user's job: %v", err)
	}
	if err := db.FailPlanningJob(ctx, dispatch.PlanAttempt{JobID: first}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := start(disp, "2030-02-02"); err != nil {
		t.Fatalf("after a job ended: %v", err)
	}
}
