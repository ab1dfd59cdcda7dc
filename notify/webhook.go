package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
)

// webhookTimeout bounds one delivery attempt.
const webhookTimeout = 10 * time.Second

// defaultWebhookClient follows no redirects: a subscription names its URL.
var defaultWebhookClient = &http.Client{Timeout: webhookTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (w *Webhooks) log() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

// Webhooks delivers committed events to the subscribed URLs, signed by
// the Standard Webhooks scheme, through the durable delivery outbox.
type Webhooks struct {
	DB     *postgres.DB
	HTTP   *http.Client
	Logger *slog.Logger
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// Run turns committed events into deliveries (each with a queued
// webhook_deliver job that calls Deliver) until ctx is cancelled.
func (w *Webhooks) Run(ctx context.Context) {
	if w.Logger == nil {
		w.Logger = slog.Default()
	}
	c := &consumer{db: w.DB, name: "webhook", handle: func(ctx context.Context, from, upTo int64, evs []dispatch.Event) (bool, error) {
		return w.DB.EnqueueWebhookEvents(ctx, from, upTo, evs)
	}}
	runConsumer(ctx, c, w.Logger, nil)
}

// Deliver POSTs one delivery with the Standard Webhooks headers; the
// queue's webhook_deliver jobs call it.
func (w *Webhooks) Deliver(ctx context.Context, m postgres.WebhookMessage) postgres.WebhookOutcome {
	start := time.Now()
	now := w.Now
	if now == nil {
		now = time.Now
	}
	ts := now()
	client := w.HTTP
	if client == nil {
		client = defaultWebhookClient
	}
	sig, err := dispatch.SignWebhook(m.Secret, m.MsgID, ts, m.Body)
	if err != nil {
		return postgres.WebhookOutcome{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return postgres.WebhookOutcome{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Qamqor-Webhooks/1")
	req.Header.Set("webhook-id", m.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := client.Do(req)
	out := postgres.WebhookOutcome{Duration: time.Since(start)}
	if err != nil {
		out.Err = err
		w.log().Info("webhook delivery failed", "webhook", m.WebhookID, "msg", m.MsgID, "attempt", m.Attempts+1, "err", err)
		return out
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	out.Status = res.StatusCode
	if res.StatusCode < 200 || res.StatusCode > 299 {
		out.Err = fmt.Errorf("HTTP %d", res.StatusCode)
		w.log().Info("webhook delivery refused", "webhook", m.WebhookID, "msg", m.MsgID, "attempt", m.Attempts+1, "status", res.StatusCode)
	}
	return out
}
