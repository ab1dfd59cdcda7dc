package postgres

// Durable background jobs on River (github.com/riverqueue/river), the
// PostgreSQL job queue built on pgx: a job is a row in river_job, inserted in
// the same transaction as the change that asks for it, so it exists exactly
// when that change committed, and it survives restarts. See
// /work/coord/jobs.md (and README "Reliability") for how to add a kind.
//
// What River does not do by itself, and this file adds: River only learns
// that the process running a job died when the job has been running longer
// than RescueStuckJobsAfter, which must exceed the longest job (a plan may
// solve for five minutes). So every job runs while holding a PostgreSQL
// advisory lock on a connection of its own (jobLiveness); a killed process
// loses its connections and with them the lock at once. A reaper on every
// instance looks every reapInterval for running jobs whose lock nobody holds
// and hands them back to River as retryable (or discarded after the last
// attempt), so an interrupted job runs again within seconds of the restart.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Queues. Planning has its own so a long solve never holds up short jobs
// (purges, notifications), and so at most PlanWorkers solves share the CPU.
const (
	QueueDefault  = river.QueueDefault
	QueuePlanning = "planning"
)

const (
	// jobLockSpace, mixed with the schema (JobLockKey), is the first key of
	// the two-key advisory locks that mark
	// a job as alive (the second is the job id); two-key locks never
	// collide with the one-key hashtext locks used elsewhere.
	jobLockSpace int32 = 0x51_4A_4F // "QJO"
	// reapInterval is how often each instance looks for running jobs whose
	// process died; reapGrace is how long a job may have been running
	// before its lock must be held (the worker takes it first thing).
	reapInterval = 10 * time.Second
	reapGrace    = 10 * time.Second
	// livenessPing is how often a running job checks that its lock
	// connection is still there; when it is not, the job is cancelled, since
	// the reaper will soon hand it to another worker.
	livenessPing = 5 * time.Second
	// IdempotencyKeyTTL is how long an Idempotency-Key is remembered; the
	// purge job forgets older ones.
	IdempotencyKeyTTL = 7 * 24 * time.Hour
)

// JobLockKey is the advisory lock (two int4 keys) that marks job id as
// running. Advisory locks are database-wide, so the first key also depends
// on the schema: jobs of two schemas in one database (test schemas) never
// share a lock.
func (db *DB) JobLockKey(id int64) (int32, int32) {
	h := fnv.New32a()
	h.Write([]byte(db.current))
	return jobLockSpace ^ int32(h.Sum32()), int32(id)
}

// newInsertClient returns a River client that only inserts jobs (it has no
// workers and starts nothing): every DB has one, so stores can enqueue in
// their transactions whether or not this process works jobs.
func newInsertClient(pool *pgxpool.Pool, schema string) (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: schema})
	if err != nil {
		return nil, fmt.Errorf("river insert client: %w", err)
	}
	return c, nil
}

// insertJob enqueues a job in tx: it is worked only if tx commits. With
// unique options, a duplicate is not inserted and the result says
// UniqueSkippedAsDuplicate.
func (db *DB) insertJob(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := db.jobs.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert job kind=%s: %w", args.Kind(), err)
	}
	return res, nil
}

// JobsConfig is what the job workers of this process need.
type JobsConfig struct {
	// Planner runs planning jobs; nil leaves plan jobs to other instances.
	Planner *dispatch.Planner
	// Workers is how many jobs of the default queue run at once (default
	// 4); PlanWorkers how many plans solve at once (default 1: a solve uses
	// a whole core).
	Workers, PlanWorkers int
	// Logger gets job failures; nil means slog.Default().
	Logger *slog.Logger
	// TelegramSend sends one Telegram message (telegram_job.go); nil when
	// the bot is off. WebhookSend posts one webhook delivery
	// (webhook_job.go); nil leaves deliveries to other instances.
	TelegramSend func(ctx context.Context, m OutboxMessage) SendOutcome
	WebhookSend  func(ctx context.Context, m WebhookMessage) WebhookOutcome
	// Retention is what the hourly purge job removes (retention_job.go);
	// the zero value purges nothing.
	Retention dispatch.Retention
}

// jobKind registers one kind's worker (and, for recurring work, its periodic
// schedule) with a client being built. Each kind's file appends one in
// init, so adding a kind touches no shared function.
type jobKind func(w *river.Workers, db *DB, cfg JobsConfig) []*river.PeriodicJob

var jobKinds []jobKind

// Jobs works background jobs in this process until Stop.
type Jobs struct {
	db     *DB
	client *river.Client[pgx.Tx]
	log    *slog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// StartJobs starts working jobs: River's producers and maintenance (on the
// elected leader) and this instance's reaper.
func (db *DB) StartJobs(ctx context.Context, cfg JobsConfig) (*Jobs, error) {
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	workers := river.NewWorkers()
	var periodic []*river.PeriodicJob
	for _, k := range jobKinds {
		periodic = append(periodic, k(workers, db, cfg)...)
	}
	queues := map[string]river.QueueConfig{QueueDefault: {MaxWorkers: cmp.Or(cfg.Workers, 4)}}
	if cfg.Planner != nil {
		queues[QueuePlanning] = river.QueueConfig{MaxWorkers: cmp.Or(cfg.PlanWorkers, 1)}
	}
	client, err := river.NewClient(riverpgxv5.New(db.pool), &river.Config{
		Schema:       db.current,
		Queues:       queues,
		Workers:      workers,
		PeriodicJobs: periodic,
		Logger:       slog.New(warnOnly{cfg.Logger.Handler()}).With("component", "jobs"),
		// The reaper finds jobs of dead processes in seconds; River's
		// own rescuer stays as a backstop for jobs that hang while their
		// process lives. It must exceed the longest job timeout.
		JobTimeout:           10 * time.Minute,
		RescueStuckJobsAfter: 15 * time.Minute,
		Middleware:           []rivertype.Middleware{&jobLiveness{db: db, pool: db.pool, log: cfg.Logger}},
		ErrorHandler:         &jobErrorLogger{log: cfg.Logger},
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := client.Start(rctx); err != nil {
		cancel()
		return nil, fmt.Errorf("start jobs: %w", err)
	}
	j := &Jobs{db: db, client: client, log: cfg.Logger, cancel: cancel}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		j.reapLoop(rctx)
	}()
	return j, nil
}

// Stop stops fetching new jobs and waits for running ones until ctx is done;
// then it cancels them (River records them retryable, so another instance
// or the next start picks them up) and waits for that to be recorded.
func (j *Jobs) Stop(ctx context.Context) error {
	err := j.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = j.client.StopAndCancel(hard)
	}
	j.cancel()
	j.wg.Wait()
	if err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// Client is the River client, for tests that watch jobs.
func (j *Jobs) Client() *river.Client[pgx.Tx] { return j.client }

func (j *Jobs) reapLoop(ctx context.Context) {
	t := time.NewTicker(reapInterval)
	defer t.Stop()
	for {
		if n, err := j.db.ReapJobs(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("reap interrupted jobs", "err", err)
		} else if n > 0 {
			j.log.Info("handed interrupted jobs back to the queue", "jobs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReapJobs hands running jobs whose process died back to River: retryable
// at once, or discarded after their last attempt. A job is dead when it has
// been running longer than reapGrace and nobody holds its liveness lock. It
// also fails planning jobs whose queue job is over without a result. It
// returns how many jobs it reaped.
func (db *DB) ReapJobs(ctx context.Context) (int, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM river_job WHERE state = 'running' AND attempted_at < now() - $1::interval`, reapGrace.String())
	if err != nil {
		return 0, fmt.Errorf("find running jobs: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("find running jobs: %w", err)
	}
	n := 0
	for _, id := range ids {
		reaped := 0 // set, not added to: inTx may run the closure again
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			reaped = 0
			var free bool
			k1, k2 := db.JobLockKey(id)
			if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, $2)`, k1, k2).Scan(&free); err != nil {
				return fmt.Errorf("test job lock id=%d: %w", id, err)
			}
			if !free {
				return nil
			}
			// The same change River's rescuer makes, now rather than after
			// RescueStuckJobsAfter. The errors entry tells what happened.
			tag, err := tx.Exec(ctx, `UPDATE river_job SET
					state = (CASE WHEN attempt < max_attempts THEN 'retryable' ELSE 'discarded' END)::river_job_state,
					finalized_at = CASE WHEN attempt < max_attempts THEN NULL ELSE now() END,
					scheduled_at = now(),
					errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
						'error', 'interrupted: the process running this job stopped', 'trace', '')),
					metadata = metadata || jsonb_build_object('qamqor:reaped_at', now())
				WHERE id = $1 AND state = 'running'`, id)
			if err != nil {
				return fmt.Errorf("reap job id=%d: %w", id, err)
			}
			reaped = int(tag.RowsAffected())
			return nil
		})
		if err != nil {
			return n, err
		}
		n += reaped
	}
	if err := db.failOrphanPlanningJobs(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// jobLiveness holds a job's liveness lock while the job runs; see the file
// comment.
type jobLiveness struct {
	river.MiddlewareDefaults
	db   *DB
	pool *pgxpool.Pool
	log  *slog.Logger
}

var errLostLiveness = errors.New("lost the database connection holding the job's liveness lock")

func (m *jobLiveness) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("job liveness: acquire connection: %w", err)
	}
	k1, k2 := m.db.JobLockKey(job.ID)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, k1, k2); err != nil {
		conn.Release()
		return fmt.Errorf("job liveness: lock id=%d: %w", job.ID, err)
	}
	release := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, k1, k2); err != nil {
			// Closing the connection frees the lock for certain.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}
	// A reaper may have handed the job on while this worker waited for a
	// connection (an outage); then it is not this attempt's any more.
	var state string
	var attempt int
	if err := conn.QueryRow(ctx, `SELECT state, attempt FROM river_job WHERE id = $1`, job.ID).Scan(&state, &attempt); err != nil {
		release()
		return fmt.Errorf("job liveness: read job id=%d: %w", job.ID, err)
	}
	if state != string(rivertype.JobStateRunning) || attempt != job.Attempt {
		release()
		return fmt.Errorf("job id=%d attempt %d was handed to another worker", job.ID, job.Attempt)
	}

	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(livenessPing)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				pctx, pcancel := context.WithTimeout(ctx, livenessPing)
				err := conn.Ping(pctx)
				pcancel()
				if err != nil && ctx.Err() == nil {
					m.log.Warn("job lost its liveness lock; cancelling it", "job", job.ID, "kind", job.Kind, "err", err)
					cancel(errLostLiveness)
					return
				}
			}
		}
	}()
	err = doInner(jctx)
	close(stop)
	<-done
	release()
	return err
}

// warnOnly keeps River's routine maintenance lines (info) out of the log.
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(as)} }

func (w warnOnly) WithGroup(name string) slog.Handler { return warnOnly{w.Handler.WithGroup(name)} }

// jobErrorLogger logs each failed attempt once, with the job's kind.
type jobErrorLogger struct{ log *slog.Logger }

func (h *jobErrorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.log.Error("job attempt failed", "job", job.ID, "kind", job.Kind, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "err", err)
	return nil
}

func (h *jobErrorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.log.Error("job attempt panicked", "job", job.ID, "kind", job.Kind, "attempt", job.Attempt, "panic", v, "trace", trace)
	return nil
}

// ---- Idempotency keys: forgotten after IdempotencyKeyTTL ----

// PurgeIdempotencyArgs is the periodic job that forgets old idempotency
// keys.
type PurgeIdempotencyArgs struct{}

// Kind implements river.JobArgs.
func (PurgeIdempotencyArgs) Kind() string { return "purge_idempotency_keys" }

type purgeIdempotencyWorker struct {
	river.WorkerDefaults[PurgeIdempotencyArgs]
	db *DB
}

func (w *purgeIdempotencyWorker) Work(ctx context.Context, job *river.Job[PurgeIdempotencyArgs]) error {
	_, err := w.db.PurgeIdempotencyKeys(ctx, w.db.Now().Add(-IdempotencyKeyTTL))
	return err
}

func init() {
	jobKinds = append(jobKinds, func(w *river.Workers, db *DB, cfg JobsConfig) []*river.PeriodicJob {
		river.AddWorker(w, &purgeIdempotencyWorker{db: db})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeIdempotencyArgs{}, nil },
			&river.PeriodicJobOpts{ID: "purge_idempotency_keys", RunOnStart: true})}
	})
}

// ---- Planning ----

// PlanArgs is a queued planning run. The planning_jobs row is what users
// see; the queue job carries what the worker needs to run it again after a
// crash. One plan per day: the partial unique index
// planning_jobs_one_running_idx refuses a second running planning_jobs row
// of the day in the transaction that would queue it (River's own unique
// jobs are not used: they would also refuse a plan of the day after a run
// made outside the queue by tests and `qamqor bench plan`).
type PlanArgs struct {
	PlanningJobID int64              `json:"planning_job_id"`
	Day           string             `json:"day"`
	Scope         dispatch.PlanScope `json:"scope"`
	Actor         dispatch.User      `json:"actor"`
}

// Kind implements river.JobArgs.
func (PlanArgs) Kind() string { return "plan" }

// planMaxAttempts: a plan interrupted by a crash or shutdown runs again;
// one that fails this often is reported failed.
const planMaxAttempts = 3

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PlanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePlanning, MaxAttempts: planMaxAttempts}
}

type planWorker struct {
	river.WorkerDefaults[PlanArgs]
	db      *DB
	planner *dispatch.Planner
}

// Timeout leaves the solver its time limit plus loading, matrix and saving.
func (w *planWorker) Timeout(job *river.Job[PlanArgs]) time.Duration {
	limit := time.Duration(job.Args.Scope.TimeLimitS * float64(time.Second))
	return max(limit, 45*time.Second) + 3*time.Minute
}

// NextRetry retries soon: an interrupted plan should be back within seconds.
func (w *planWorker) NextRetry(job *river.Job[PlanArgs]) time.Time {
	return time.Now().Add(time.Duration(job.Attempt) * 2 * time.Second)
}

func (w *planWorker) Work(ctx context.Context, job *river.Job[PlanArgs]) error {
	a := job.Args
	current, err := w.db.ClaimPlanningJob(ctx, a.PlanningJobID, job.Attempt, job.MaxAttempts)
	if err != nil {
		return err
	}
	if !current {
		return nil // finished or failed meanwhile: nothing to do
	}
	final := job.Attempt >= job.MaxAttempts
	_, err = w.planner.Execute(ctx, &a.Actor, dispatch.PlanAttempt{JobID: a.PlanningJobID, Attempt: job.Attempt}, a.Scope, final)
	if err != nil && dispatch.ErrorCode(err) != dispatch.EINTERNAL {
		// A domain error (invalid scope, no permission, a newer plan) will
		// not change on a retry; Execute has recorded it.
		return river.JobCancel(err)
	}
	return err
}

func init() {
	jobKinds = append(jobKinds, func(w *river.Workers, db *DB, cfg JobsConfig) []*river.PeriodicJob {
		if cfg.Planner != nil {
			river.AddWorker(w, &planWorker{db: db, planner: cfg.Planner})
		}
		return nil
	})
}
