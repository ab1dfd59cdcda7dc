package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
)

// webhookTimeout bounds one delivery attempt.
const webhookTimeout = 10 * time.Second

// Webhooks delivers committed events to the subscribed URLs, signed by
// the Standard Webhooks scheme, from the durable delivery outbox.
type Webhooks struct {
	DB     *postgres.DB
	HTTP   *http.Client
	Logger *slog.Logger
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// Run turns events into deliveries and sends them until ctx is cancelled;
// an attempt under way is finished and logged first.
func (w *Webhooks) Run(ctx context.Context) {
	if w.Logger == nil {
		w.Logger = slog.Default()
	}
	if w.HTTP == nil {
		w.HTTP = &http.Client{Timeout: webhookTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	c := &consumer{db: w.DB, name: "webhook", handle: func(ctx context.Context, from, upTo int64, evs []dispatch.Event) (bool, error) {
		return w.DB.EnqueueWebhookEvents(ctx, from, upTo, evs)
	}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); runConsumer(ctx, c, w.Logger, nil) }()
	go func() { defer wg.Done(); w.send(ctx) }()
	wg.Wait()
}

func (w *Webhooks) send(ctx context.Context) {
	for {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*webhookTimeout)
		found, err := w.DB.DeliverNextWebhook(sctx, w.deliver)
		cancel()
		if err != nil && ctx.Err() == nil {
			w.Logger.Warn("webhook outbox", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if !found || err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(idleWait):
			}
		}
	}
}

// deliver POSTs one delivery with the Standard Webhooks headers.
func (w *Webhooks) deliver(ctx context.Context, m postgres.WebhookMessage) postgres.WebhookOutcome {
	start := time.Now()
	ts := w.Now()
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
	res, err := w.HTTP.Do(req)
	out := postgres.WebhookOutcome{Duration: time.Since(start)}
	if err != nil {
		out.Err = err
		w.Logger.Info("webhook delivery failed", "webhook", m.WebhookID, "msg", m.MsgID, "attempt", m.Attempts+1, "err", err)
		return out
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	out.Status = res.StatusCode
	if res.StatusCode < 200 || res.StatusCode > 299 {
		out.Err = fmt.Errorf("HTTP %d", res.StatusCode)
		w.Logger.Info("webhook delivery refused", "webhook", m.WebhookID, "msg", m.MsgID, "attempt", m.Attempts+1, "status", res.StatusCode)
	}
	return out
}
