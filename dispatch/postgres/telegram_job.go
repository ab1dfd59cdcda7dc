package postgres

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// TelegramSendArgs is the queued send of one telegram_outbox message,
// inserted in the transaction that queues the message.
type TelegramSendArgs struct {
	OutboxID int64 `json:"outbox_id"`
}

// Kind implements river.JobArgs.
func (TelegramSendArgs) Kind() string { return "telegram_send" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (TelegramSendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: MaxTelegramAttempts}
}

// telegramSendTimeout bounds one send and its record. They run to their
// end even when the server is stopping, so a message Telegram accepted is
// recorded as sent rather than sent again after the restart.
const telegramSendTimeout = 20 * time.Second

type telegramSendWorker struct {
	river.WorkerDefaults[TelegramSendArgs]
	db   *DB
	send func(ctx context.Context, m OutboxMessage) SendOutcome
}

func (w *telegramSendWorker) Work(ctx context.Context, job *river.Job[TelegramSendArgs]) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), telegramSendTimeout)
	defer cancel()
	out, err := w.db.sendTelegram(sctx, job.Args.OutboxID, job.Attempt >= job.MaxAttempts, w.send)
	switch {
	case err != nil:
		return err
	case out.Err == nil:
		return nil
	case out.Permanent:
		return river.JobCancel(out.Err)
	case out.RetryAfter > 0 && out.RetryAfter <= time.Hour:
		// Telegram said when (429 retry_after), or the back-off.
		return river.JobSnooze(out.RetryAfter)
	}
	return out.Err
}

func init() {
	jobKinds = append(jobKinds, func(w *river.Workers, db *DB, cfg JobsConfig) []*river.PeriodicJob {
		if cfg.TelegramSend != nil {
			river.AddWorker(w, &telegramSendWorker{db: db, send: cfg.TelegramSend})
		}
		return nil
	})
}
