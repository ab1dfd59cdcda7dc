package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
)

// Timing of the loops.
const (
	producePeriod = time.Second      // how often new events are turned into messages
	checkPeriod   = 30 * time.Second // how often alerts and reminders are checked
	// DefaultPerSecond is the Bot API's limit for one bot (about 30
	// messages a second across chats).
	DefaultPerSecond = 30
	// DefaultPollTimeout is the long-poll wait of getUpdates.
	DefaultPollTimeout = 25 * time.Second
)

// Telegram runs the Telegram side of notifications: it turns committed
// events (and the clock: escalated alerts, morning reminders) into outbox
// messages, each with a queued telegram_send job (dispatch/postgres,
// River) that Sender sends with retries, and polls getUpdates for
// "/start CODE" to link chats.
type Telegram struct {
	Bot    *Bot
	DB     *postgres.DB
	Config postgres.TelegramConfig
	Logger *slog.Logger
	// PerSecond limits sends of this instance; 0 means DefaultPerSecond.
	PerSecond int
	// PollTimeout is getUpdates' long-poll wait; 0 means
	// DefaultPollTimeout.
	PollTimeout time.Duration
}

// Run runs the loops until ctx is cancelled.
func (t *Telegram) Run(ctx context.Context) {
	if t.Logger == nil {
		t.Logger = slog.Default()
	}
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){t.produce, t.poll} {
		wg.Add(1)
		go func() { defer wg.Done(); loop(ctx) }()
	}
	wg.Wait()
}

// consumer reads the events table after a durable cursor, in id order,
// holding back at a hole in the ids until the hole is known to be final
// (see dispatch.GapSettler).
type consumer struct {
	db     *postgres.DB
	name   string
	handle func(ctx context.Context, from, upTo int64, evs []dispatch.Event) (bool, error)

	gapNext int64
	gapMark uint64
}

// pass handles the next batch; it reports whether it made progress.
func (c *consumer) pass(ctx context.Context) (bool, error) {
	from, err := c.db.Cursor(ctx, c.name)
	if err != nil {
		return false, err
	}
	evs, err := c.db.EventsSince(ctx, from, 500)
	if err != nil || len(evs) == 0 {
		return false, err
	}
	upTo, n := from, 0
	for i, e := range evs {
		if e.ID != upTo+1 {
			final, err := c.holeFinal(ctx, upTo+1)
			if err != nil {
				return false, err
			}
			if !final {
				break
			}
		}
		upTo, n = e.ID, i+1
	}
	if n == 0 {
		return false, nil
	}
	return c.handle(ctx, from, upTo, evs[:n])
}

// holeFinal reports whether the missing id next will never appear: every
// transaction running when the hole was first seen has ended.
func (c *consumer) holeFinal(ctx context.Context, next int64) (bool, error) {
	if c.gapNext != next {
		mark, err := c.db.WriteMark(ctx)
		if err != nil {
			return false, err
		}
		c.gapNext, c.gapMark = next, mark
		return false, nil
	}
	ok, err := c.db.Settled(ctx, c.gapMark)
	if ok {
		c.gapNext = 0
	}
	return ok, err
}

// runConsumer passes until caught up, every period, and runs extra every
// checkEvery (may be nil).
func runConsumer(ctx context.Context, c *consumer, log *slog.Logger, extra func(context.Context) error) {
	tick := time.NewTicker(producePeriod)
	defer tick.Stop()
	var lastCheck time.Time
	for {
		for {
			progress, err := c.pass(ctx)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("notifications: read events", "consumer", c.name, "err", err)
				}
				break
			}
			if !progress {
				break
			}
		}
		if extra != nil && time.Since(lastCheck) >= checkPeriod {
			lastCheck = time.Now()
			if err := extra(ctx); err != nil && ctx.Err() == nil {
				log.Warn("notifications: periodic checks", "consumer", c.name, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (t *Telegram) produce(ctx context.Context) {
	c := &consumer{db: t.DB, name: "telegram", handle: func(ctx context.Context, from, upTo int64, evs []dispatch.Event) (bool, error) {
		return t.DB.EnqueueTelegramEvents(ctx, from, upTo, evs, t.Config)
	}}
	runConsumer(ctx, c, t.Logger, func(ctx context.Context) error { return t.DB.EnqueueTelegramChecks(ctx, t.Config) })
}

// Sender returns what the queue's telegram_send jobs call to send one
// message: at most PerSecond sends a second from this process (the Bot
// API's limit is about 30 a second per bot) and one a second per chat,
// then sendMessage. A 429's
// retry_after comes back as RetryAfter; 400 and 403 are permanent.
func (t *Telegram) Sender() func(ctx context.Context, m postgres.OutboxMessage) postgres.SendOutcome {
	per := t.PerSecond
	if per <= 0 {
		per = DefaultPerSecond
	}
	var mu sync.Mutex
	next := time.Now()
	// lastChat paces each chat to one message a second, as the Bot API
	// asks; entries older than that are forgotten.
	lastChat := map[int64]time.Time{}
	return func(ctx context.Context, m postgres.OutboxMessage) postgres.SendOutcome {
		mu.Lock()
		now := time.Now()
		at := next
		if at.Before(now) {
			at = now
		}
		if c := lastChat[m.ChatID].Add(time.Second); at.Before(c) {
			at = c
		} else {
			next = at.Add(time.Second / time.Duration(per))
		}
		lastChat[m.ChatID] = at
		if len(lastChat) > 10000 {
			for id, t := range lastChat {
				if now.Sub(t) > time.Second {
					delete(lastChat, id)
				}
			}
		}
		mu.Unlock()
		select {
		case <-time.After(at.Sub(now)):
		case <-ctx.Done():
			return postgres.SendOutcome{Err: ctx.Err()}
		}
		id, err := t.Bot.SendMessage(ctx, m.ChatID, m.Text)
		if err == nil {
			return postgres.SendOutcome{MessageID: id}
		}
		out := postgres.SendOutcome{Err: err}
		var ae *APIError
		if errors.As(err, &ae) {
			out.Permanent = ae.Permanent()
			out.RetryAfter = time.Duration(ae.RetryAfter) * time.Second
		}
		if t.Logger != nil {
			t.Logger.Warn("telegram send failed", "message", m.ID, "attempt", m.Attempts+1, "err", err)
		}
		return out
	}
}

// poll reads the bot's updates while this instance holds the poll lock
// (one poller per bot); others wait and take over when it goes.
func (t *Telegram) poll(ctx context.Context) {
	wait := t.PollTimeout
	if wait <= 0 {
		wait = DefaultPollTimeout
	}
	for ctx.Err() == nil {
		got, err := t.DB.WithLock(ctx, "telegram-poll", func(ctx context.Context) error {
			for ctx.Err() == nil {
				if err := t.pollOnce(ctx, wait); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					t.Logger.Warn("telegram getUpdates", "err", err)
					select {
					case <-ctx.Done():
					case <-time.After(5 * time.Second):
					}
				}
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			t.Logger.Warn("telegram poll lock", "err", err)
		}
		if !got || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
			}
		}
	}
}

// pollOnce reads one batch of updates, links chats that sent "/start
// CODE" and confirms the batch (the stored offset) after handling it;
// handling twice is harmless (a used code is gone).
func (t *Telegram) pollOnce(ctx context.Context, wait time.Duration) error {
	off, err := t.DB.TelegramOffset(ctx)
	if err != nil {
		return err
	}
	us, err := t.Bot.GetUpdates(ctx, off, wait)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.Message != nil {
			if code, ok := dispatch.StartCode(u.Message.Text); ok {
				err := t.DB.LinkTelegramChat(ctx, code, u.Message.Chat.ID)
				if err != nil && dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
					return err
				}
				if err != nil {
					t.Logger.Info("telegram: unknown link code", "update", u.UpdateID)
				}
			}
		}
		if err := t.DB.SetTelegramOffset(ctx, u.UpdateID+1); err != nil {
			return err
		}
	}
	return nil
}
