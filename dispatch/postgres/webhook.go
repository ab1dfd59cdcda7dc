package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.WebhookStore = (*DB)(nil)

const webhookColumns = `id, url, events, trusted, active, description, created_at`

func scanWebhook(row pgx.Row) (*dispatch.Webhook, error) {
	var w dispatch.Webhook
	err := row.Scan(&w.ID, &w.URL, &w.Events, &w.Trusted, &w.Active, &w.Description, &w.CreatedAt)
	return &w, err
}

// CreateWebhook implements dispatch.WebhookStore.
func (db *DB) CreateWebhook(ctx context.Context, actor *dispatch.User, in dispatch.WebhookInput) (*dispatch.Webhook, error) {
	if err := dispatch.Require(actor, dispatch.ActManageIntegrations); err != nil {
		return nil, err
	}
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	secret, err := dispatch.NewWebhookSecret()
	if err != nil {
		return nil, err
	}
	w, err := scanWebhook(db.pool.QueryRow(ctx, `INSERT INTO webhooks (url, events, secret, trusted, description, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+webhookColumns,
		in.URL, in.Events, secret, in.Trusted, in.Description, actor.ID, db.Now()))
	if err != nil {
		return nil, translate(err, "Webhook")
	}
	w.Secret = secret
	return w, nil
}

// FindWebhooks implements dispatch.WebhookStore.
func (db *DB) FindWebhooks(ctx context.Context, actor *dispatch.User) ([]*dispatch.Webhook, error) {
	if err := dispatch.Require(actor, dispatch.ActManageIntegrations); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("find webhooks: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.Webhook, error) { return scanWebhook(row) })
}

// SetWebhookActive implements dispatch.WebhookStore.
func (db *DB) SetWebhookActive(ctx context.Context, actor *dispatch.User, id int64, active bool) (*dispatch.Webhook, error) {
	if err := dispatch.Require(actor, dispatch.ActManageIntegrations); err != nil {
		return nil, err
	}
	w, err := scanWebhook(db.pool.QueryRow(ctx, `UPDATE webhooks SET active = $2 WHERE id = $1 RETURNING `+webhookColumns, id, active))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "There is no webhook %d.", id)
	}
	return w, err
}

// FindWebhookDeliveries implements dispatch.WebhookStore.
func (db *DB) FindWebhookDeliveries(ctx context.Context, actor *dispatch.User, id int64, limit int) ([]*dispatch.WebhookDelivery, error) {
	if err := dispatch.Require(actor, dispatch.ActManageIntegrations); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := db.pool.Query(ctx, `SELECT id, webhook_id, msg_id, event_type, created_at, attempts, last_status, last_error,
		CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN next_at END, delivered_at, failed_at
		FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("find webhook deliveries id=%d: %w", id, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.WebhookDelivery, error) {
		var d dispatch.WebhookDelivery
		err := row.Scan(&d.ID, &d.WebhookID, &d.MsgID, &d.EventType, &d.CreatedAt, &d.Attempts, &d.LastStatus, &d.LastError,
			&d.NextAt, &d.DeliveredAt, &d.FailedAt)
		return &d, err
	})
}

// webhookBody is a delivery's body, as Standard Webhooks suggests: the
// type, the time of the event and its data.
type webhookBody struct {
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// EnqueueWebhookEvents turns events (after the "webhook" cursor at from,
// up to upTo) into deliveries for the active subscriptions of their types
// and moves the cursor, atomically. A trusted delivery that carries a care
// address's data is audited as a read.
func (db *DB) EnqueueWebhookEvents(ctx context.Context, from, upTo int64, evs []dispatch.Event) (bool, error) {
	return db.consume(ctx, "webhook", from, upTo, func(tx pgx.Tx) error {
		var hooks []*dispatch.Webhook
		for _, e := range evs {
			typ, ok := dispatch.WebhookTypeOf(e)
			if !ok {
				continue
			}
			if hooks == nil {
				rows, err := tx.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE active ORDER BY id`)
				if err != nil {
					return fmt.Errorf("find active webhooks: %w", err)
				}
				hooks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.Webhook, error) { return scanWebhook(row) })
				if err != nil {
					return fmt.Errorf("scan webhooks: %w", err)
				}
				if len(hooks) == 0 {
					return nil // nobody listens: just move the cursor
				}
			}
			for _, h := range hooks {
				if !contains(h.Events, typ) {
					continue
				}
				data, careID, err := dispatch.WebhookData(e, h.Trusted)
				if err != nil {
					return err
				}
				body, err := json.Marshal(webhookBody{Type: typ, Timestamp: e.CreatedAt, Data: data})
				if err != nil {
					return fmt.Errorf("marshal webhook body event=%d: %w", e.ID, err)
				}
				var did int64
				err = tx.QueryRow(ctx, `INSERT INTO webhook_deliveries (webhook_id, msg_id, event_type, body) VALUES ($1, $2, $3, $4)
					ON CONFLICT (webhook_id, msg_id) DO NOTHING RETURNING id`, h.ID, "msg_"+strconv.FormatInt(e.ID, 10), typ, string(body)).Scan(&did)
				if errors.Is(err, pgx.ErrNoRows) {
					continue // queued before
				} else if err != nil {
					return fmt.Errorf("enqueue webhook=%d event=%d: %w", h.ID, e.ID, err)
				}
				if _, err := db.insertJob(ctx, tx, WebhookDeliverArgs{DeliveryID: did}, nil); err != nil {
					return fmt.Errorf("queue webhook delivery id=%d: %w", did, err)
				}
				if careID != nil {
					if err := audit(ctx, tx, nil, dispatch.AuditRead, *careID, fmt.Sprintf("sent to trusted webhook %d (%s)", h.ID, typ)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WebhookMessage is one delivery to send.
type WebhookMessage struct {
	ID, WebhookID int64
	URL, Secret   string
	MsgID         string
	Body          []byte
	Attempts      int
}

// WebhookOutcome is what one attempt got.
type WebhookOutcome struct {
	Status   int // HTTP status, 0 when no answer
	Err      error
	Duration time.Duration
}

// webhookRetry is the wait after the nth failed attempt (1-based), after
// the Standard Webhooks example schedule; after the last the delivery has
// failed.
var webhookRetry = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// WebhookRetrySchedule returns the retry waits (for the README and tests).
func WebhookRetrySchedule() []time.Duration { return append([]time.Duration(nil), webhookRetry...) }

// deliverWebhook sends delivery id under its row lock and records the
// attempt in the same transaction: a 2xx answer delivers it; anything else
// is logged with the time of the next try (webhookRetry), or marked failed
// on the last attempt. A delivery already done, failed, or of a disabled
// subscription is not sent (a job may run twice). It reports whether the
// attempt failed, so the queue retries it.
func (db *DB) deliverWebhook(ctx context.Context, id int64, attempt int, lastAttempt bool, send func(ctx context.Context, m WebhookMessage) WebhookOutcome) (failed error, err error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var m WebhookMessage
	var active bool
	err = tx.QueryRow(ctx, `SELECT d.id, d.webhook_id, w.url, w.secret, d.msg_id, d.body, d.attempts, w.active
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.id = $1 AND d.delivered_at IS NULL AND d.failed_at IS NULL FOR UPDATE OF d`, id).
		Scan(&m.ID, &m.WebhookID, &m.URL, &m.Secret, &m.MsgID, &m.Body, &m.Attempts, &active)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("lock webhook delivery id=%d: %w", id, err)
	}
	now := db.Now()
	if !active {
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET failed_at = $2, last_error = 'subscription disabled' WHERE id = $1`, id, now)
		if err != nil {
			return nil, fmt.Errorf("drop webhook delivery id=%d: %w", id, err)
		}
		return nil, tx.Commit(ctx)
	}
	out := send(ctx, m)
	var status *int
	if out.Status != 0 {
		status = &out.Status
	}
	ok := out.Err == nil && out.Status >= 200 && out.Status < 300
	if !ok && out.Err == nil {
		out.Err = fmt.Errorf("HTTP %d", out.Status)
	}
	errText := ""
	if out.Err != nil {
		errText = out.Err.Error()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5)`,
		m.ID, now, status, errText, out.Duration.Milliseconds()); err != nil {
		return nil, fmt.Errorf("log webhook attempt delivery=%d: %w", m.ID, err)
	}
	if ok {
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = '', delivered_at = $3 WHERE id = $1`,
			m.ID, status, now)
	} else {
		var failedAt *time.Time
		next := now.Add(webhookRetryAfter(attempt))
		if lastAttempt {
			failedAt = &now
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, next_at = $4, failed_at = $5 WHERE id = $1`,
			m.ID, status, errText, next, failedAt)
	}
	if err != nil {
		return nil, fmt.Errorf("record webhook attempt delivery=%d: %w", m.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	if ok {
		return nil, nil
	}
	return out.Err, nil
}

// webhookRetryAfter is the wait after failed attempt n (1-based).
func webhookRetryAfter(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > len(webhookRetry) {
		return webhookRetry[len(webhookRetry)-1]
	}
	return webhookRetry[n-1]
}
