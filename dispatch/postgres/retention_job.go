package postgres

import (
	"context"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/riverqueue/river"
)

// PurgeRetentionArgs is the hourly job that removes personal data past its
// retention (dispatch.Retention, from QAMQOR_RETAIN_*).
type PurgeRetentionArgs struct{}

// Kind implements river.JobArgs.
func (PurgeRetentionArgs) Kind() string { return "purge_retention" }

type purgeRetentionWorker struct {
	river.WorkerDefaults[PurgeRetentionArgs]
	db  *DB
	ret dispatch.Retention
}

// Work purges; running twice is harmless (it deletes what is old).
func (w *purgeRetentionWorker) Work(ctx context.Context, job *river.Job[PurgeRetentionArgs]) error {
	_, err := w.db.PurgeExpired(ctx, w.ret)
	return err
}

func init() {
	jobKinds = append(jobKinds, func(w *river.Workers, db *DB, cfg JobsConfig) []*river.PeriodicJob {
		if cfg.Retention == (dispatch.Retention{}) {
			return nil
		}
		river.AddWorker(w, &purgeRetentionWorker{db: db, ret: cfg.Retention})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeRetentionArgs{}, nil },
			&river.PeriodicJobOpts{ID: "purge_retention", RunOnStart: true})}
	})
}
