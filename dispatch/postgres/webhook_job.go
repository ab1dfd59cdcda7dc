package postgres

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// WebhookDeliverArgs is the queued delivery of one webhook_deliveries row,
// inserted in the transaction that queues the delivery.
type WebhookDeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (WebhookDeliverArgs) Kind() string { return "webhook_deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts: the first attempt and
// one per wait of the retry schedule.
func (WebhookDeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: len(webhookRetry) + 1}
}

// webhookAttemptTimeout bounds one attempt and its record; like a
// Telegram send it runs to its end when the server stops.
const webhookAttemptTimeout = 20 * time.Second

type webhookDeliverWorker struct {
	river.WorkerDefaults[WebhookDeliverArgs]
	db   *DB
	send func(ctx context.Context, m WebhookMessage) WebhookOutcome
}

// NextRetry follows the Standard Webhooks example schedule (webhookRetry)
// instead of River's attempt^4 seconds.
func (w *webhookDeliverWorker) NextRetry(job *river.Job[WebhookDeliverArgs]) time.Time {
	return time.Now().Add(webhookRetryAfter(job.Attempt))
}

func (w *webhookDeliverWorker) Work(ctx context.Context, job *river.Job[WebhookDeliverArgs]) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookAttemptTimeout)
	defer cancel()
	failed, err := w.db.deliverWebhook(sctx, job.Args.DeliveryID, job.Attempt, job.Attempt >= job.MaxAttempts, w.send)
	if err != nil {
		return err
	}
	return failed
}

func init() {
	jobKinds = append(jobKinds, func(w *river.Workers, db *DB, cfg JobsConfig) []*river.PeriodicJob {
		if cfg.WebhookSend != nil {
			river.AddWorker(w, &webhookDeliverWorker{db: db, send: cfg.WebhookSend})
		}
		return nil
	})
}
