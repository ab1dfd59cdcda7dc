package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/notify"
)

// TelegramConfig is read from the environment by loadTelegramConfig.
type TelegramConfig struct {
	API        string        // QAMQOR_TELEGRAM_API, default the official Bot API
	Token      string        // QAMQOR_TELEGRAM_TOKEN; empty turns Telegram off. Never logged.
	Bot        string        // QAMQOR_TELEGRAM_BOT, the bot's user name for t.me links (optional)
	AlertAfter time.Duration // QAMQOR_TELEGRAM_ALERT_AFTER, default 15m
	ReminderAt string        // QAMQOR_TELEGRAM_REMINDER_AT, HH:MM Astana, default 07:30
}

func loadTelegramConfig() (TelegramConfig, error) {
	c := TelegramConfig{API: notify.DefaultTelegramAPI, AlertAfter: dispatch.DefaultAlertEscalation, ReminderAt: dispatch.DefaultReminderAt,
		Token: os.Getenv("QAMQOR_TELEGRAM_TOKEN"), Bot: strings.TrimPrefix(os.Getenv("QAMQOR_TELEGRAM_BOT"), "@")}
	if v := os.Getenv("QAMQOR_TELEGRAM_API"); v != "" {
		c.API = v
	}
	if v := os.Getenv("QAMQOR_TELEGRAM_ALERT_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("QAMQOR_TELEGRAM_ALERT_AFTER: want a positive duration such as 15m, not %q", v)
		}
		c.AlertAfter = d
	}
	if v := os.Getenv("QAMQOR_TELEGRAM_REMINDER_AT"); v != "" {
		if _, err := time.Parse("15:04", v); err != nil {
			return c, fmt.Errorf("QAMQOR_TELEGRAM_REMINDER_AT: want HH:MM, not %q", v)
		}
		c.ReminderAt = v
	}
	return c, nil
}

// newTelegram builds the Telegram side when a token is set; without one it
// says once that the feature is off and returns nil.
func newTelegram(tc TelegramConfig, publicURL string, db *postgres.DB, logger *slog.Logger) *notify.Telegram {
	if tc.Token == "" {
		fmt.Println("Telegram notifications are off (set QAMQOR_TELEGRAM_TOKEN to turn them on)")
		return nil
	}
	fmt.Printf("Telegram notifications are on (alerts after %s, reminder at %s)\n", tc.AlertAfter, tc.ReminderAt)
	return &notify.Telegram{
		Bot: &notify.Bot{API: tc.API, Token: tc.Token, HTTP: &http.Client{Timeout: notify.DefaultPollTimeout + 10*time.Second}},
		DB:  db,
		Config: postgres.TelegramConfig{PublicURL: strings.TrimRight(publicURL, "/"),
			AlertAfter: tc.AlertAfter, ReminderAt: tc.ReminderAt},
		Logger: logger,
	}
}

// telegramSender is what the queue's telegram_send jobs call; nil when
// Telegram is off (the kind is then not worked here).
func telegramSender(t *notify.Telegram) func(ctx context.Context, m postgres.OutboxMessage) postgres.SendOutcome {
	if t == nil {
		return nil
	}
	return t.Sender()
}

// startNotify runs the loops that turn events into Telegram messages (when
// on) and webhook deliveries, and polls the bot; the channel closes when
// they have stopped.
func startNotify(ctx context.Context, t *notify.Telegram, w *notify.Webhooks) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		if t != nil {
			wg.Add(1)
			go func() { defer wg.Done(); t.Run(ctx) }()
		}
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
		wg.Wait()
	}()
	return done
}

// telegramStore is the store of Telegram links for the web server, nil
// when Telegram is off (the link API then answers 503).
func telegramStore(t *notify.Telegram, db *postgres.DB) dispatch.TelegramStore {
	if t == nil {
		return nil
	}
	return db
}
