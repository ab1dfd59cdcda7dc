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
				tag, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, msg_id, event_type, body) VALUES ($1, $2, $3, $4)
					ON CONFLICT (webhook_id, msg_id) DO NOTHING`, h.ID, "msg_"+strconv.FormatInt(e.ID, 10), typ, string(body))
				if err != nil {
					return fmt.Errorf("enqueue webhook=%d event=%d: %w", h.ID, e.ID, err)
				}
				if careID != nil && tag.RowsAffected() == 1 {
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

// DeliverNextWebhook sends the oldest due delivery under its row lock and
// records the attempt in the same transaction. A 2xx answer delivers it;
// anything else is retried on webhookRetry, then marked failed. It
// reports false when nothing is due.
func (db *DB) DeliverNextWebhook(ctx context.Context, send func(ctx context.Context, m WebhookMessage) WebhookOutcome) (bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var m WebhookMessage
	err = tx.QueryRow(ctx, `SELECT d.id, d.webhook_id, w.url, w.secret, d.msg_id, d.body, d.attempts
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_at <= $1 AND w.active
		ORDER BY d.next_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED`, db.Now()).
		Scan(&m.ID, &m.WebhookID, &m.URL, &m.Secret, &m.MsgID, &m.Body, &m.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("claim webhook delivery: %w", err)
	}
	out := send(ctx, m)
	now := db.Now()
	var status *int
	if out.Status != 0 {
		status = &out.Status
	}
	errText := ""
	if out.Err != nil {
		errText = out.Err.Error()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5)`,
		m.ID, now, status, errText, out.Duration.Milliseconds()); err != nil {
		return true, fmt.Errorf("log webhook attempt delivery=%d: %w", m.ID, err)
	}
	if out.Err == nil && out.Status >= 200 && out.Status < 300 {
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = '', delivered_at = $3 WHERE id = $1`,
			m.ID, status, now)
	} else {
		n := m.Attempts + 1
		var failed *time.Time
		next := now
		if n > len(webhookRetry) {
			failed = &now
		} else {
			next = now.Add(webhookRetry[n-1])
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = $2, last_status = $3, last_error = $4, next_at = $5, failed_at = $6 WHERE id = $1`,
			m.ID, n, status, errText, next, failed)
	}
	if err != nil {
		return true, fmt.Errorf("record webhook attempt delivery=%d: %w", m.ID, err)
	}
	return true, tx.Commit(ctx)
}
