package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
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

// startTelegram runs the Telegram loops when a token is set and returns a
// channel closed when they have stopped (after ctx ends and the message
// in flight is recorded). Without a token it says once that the feature
// is off and returns a closed channel.
func startTelegram(ctx context.Context, tc TelegramConfig, publicURL string, db *postgres.DB, logger *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	if tc.Token == "" {
		fmt.Println("Telegram notifications are off (set QAMQOR_TELEGRAM_TOKEN to turn them on)")
		close(done)
		return done
	}
	t := &notify.Telegram{
		Bot: &notify.Bot{API: tc.API, Token: tc.Token, HTTP: &http.Client{Timeout: notify.DefaultPollTimeout + 10*time.Second}},
		DB:  db,
		Config: postgres.TelegramConfig{PublicURL: strings.TrimRight(publicURL, "/"),
			AlertAfter: tc.AlertAfter, ReminderAt: tc.ReminderAt},
		Logger: logger,
	}
	fmt.Printf("Telegram notifications are on (alerts after %s, reminder at %s)\n", tc.AlertAfter, tc.ReminderAt)
	go func() { defer close(done); t.Run(ctx) }()
	return done
}

// telegramStore is the store of Telegram links for the web server, nil
// when Telegram is off (the link API then answers 503).
func telegramStore(tc TelegramConfig, db *postgres.DB) dispatch.TelegramStore {
	if tc.Token == "" {
		return nil
	}
	return db
}

// startWebhooks runs the webhook deliveries (cheap when nobody subscribed)
// and returns a channel closed when they have stopped.
func startWebhooks(ctx context.Context, db *postgres.DB, logger *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	w := &notify.Webhooks{DB: db, Logger: logger}
	go func() { defer close(done); w.Run(ctx) }()
	return done
}
