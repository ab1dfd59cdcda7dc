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

var _ dispatch.TelegramStore = (*DB)(nil)

// StartTelegramLink implements dispatch.TelegramStore.
func (db *DB) StartTelegramLink(ctx context.Context, actor *dispatch.User, lang string) (string, time.Time, error) {
	if actor == nil {
		return "", time.Time{}, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in.")
	}
	if lang != "ru" && lang != "en" {
		lang = "kk"
	}
	code, hash, err := dispatch.NewLinkCode()
	if err != nil {
		return "", time.Time{}, err
	}
	expires := db.Now().Add(dispatch.LinkCodeTTL)
	_, err = db.pool.Exec(ctx, `INSERT INTO telegram_links (user_id, code_hash, code_expires_at, lang) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET code_hash = $2, code_expires_at = $3, lang = $4`, actor.ID, hash, expires, lang)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("start telegram link user=%d: %w", actor.ID, err)
	}
	return code, expires, nil
}

// FindTelegramLink implements dispatch.TelegramStore.
func (db *DB) FindTelegramLink(ctx context.Context, actor *dispatch.User) (*dispatch.TelegramLink, error) {
	if actor == nil {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in.")
	}
	l := &dispatch.TelegramLink{UserID: actor.ID}
	var chat *int64
	err := db.pool.QueryRow(ctx, `SELECT chat_id, lang, linked_at, code_expires_at FROM telegram_links WHERE user_id = $1`, actor.ID).
		Scan(&chat, &l.Lang, &l.LinkedAt, &l.CodeExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, nil
	} else if err != nil {
		return nil, fmt.Errorf("find telegram link user=%d: %w", actor.ID, err)
	}
	l.Linked = chat != nil
	return l, nil
}

// UnlinkTelegram implements dispatch.TelegramStore.
func (db *DB) UnlinkTelegram(ctx context.Context, actor *dispatch.User) error {
	if actor == nil {
		return dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in.")
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM telegram_links WHERE user_id = $1`, actor.ID); err != nil {
		return fmt.Errorf("unlink telegram user=%d: %w", actor.ID, err)
	}
	return nil
}

// LinkTelegramChat links the chat to the user whose live code this is and
// queues the bot's confirmation. ENOTFOUND for an unknown or expired code.
func (db *DB) LinkTelegramChat(ctx context.Context, code string, chatID int64) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		var userID int64
		var lang string
		err := tx.QueryRow(ctx, `UPDATE telegram_links SET chat_id = $2, linked_at = $3, code_hash = NULL, code_expires_at = NULL
			WHERE code_hash = $1 AND code_expires_at > $3 RETURNING user_id, lang`,
			dispatch.HashLinkCode(code), chatID, db.Now()).Scan(&userID, &lang)
		if errors.Is(err, pgx.ErrNoRows) {
			return dispatch.Errorf(dispatch.ENOTFOUND, "This code is unknown or expired.")
		} else if err != nil {
			return fmt.Errorf("link telegram chat: %w", err)
		}
		return db.enqueueTelegram(ctx, tx, fmt.Sprintf("linked:%d:%d:%d", userID, chatID, db.Now().UnixNano()), chatID, dispatch.LinkedNotice(lang))
	})
}

func (db *DB) enqueueTelegram(ctx context.Context, tx pgx.Tx, key string, chatID int64, text string) error {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO telegram_outbox (dedup_key, chat_id, text) VALUES ($1, $2, $3)
		ON CONFLICT (dedup_key) DO NOTHING RETURNING id`, key, chatID, text).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // queued before
	} else if err != nil {
		return fmt.Errorf("enqueue telegram key=%s: %w", key, err)
	}
	if _, err := db.insertJob(ctx, tx, TelegramSendArgs{OutboxID: id}, nil); err != nil {
		return fmt.Errorf("queue telegram send id=%d: %w", id, err)
	}
	return nil
}

// recipient is a linked chat and its language.
type recipient struct {
	chatID int64
	lang   string
}

// recipients are the linked chats of an audience's active users.
func recipients(ctx context.Context, tx pgx.Tx, a dispatch.Audience) ([]recipient, error) {
	rows, err := tx.Query(ctx, `SELECT l.chat_id, l.lang FROM telegram_links l JOIN users u ON u.id = l.user_id
		WHERE l.chat_id IS NOT NULL AND u.active AND u.role = $1 AND ($2 = 0 OR u.team_id = $2) ORDER BY l.user_id`,
		a.Role, a.TeamID)
	if err != nil {
		return nil, fmt.Errorf("find telegram recipients: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (recipient, error) {
		var r recipient
		err := row.Scan(&r.chatID, &r.lang)
		return r, err
	})
}

// noticeRoute reads a route as notices describe it: its live stops in
// order, without names or phones.
func noticeRoute(ctx context.Context, tx pgx.Tx, routeID int64) (dispatch.NoticeRoute, error) {
	r := dispatch.NoticeRoute{ID: routeID}
	var day time.Time
	err := tx.QueryRow(ctx, `SELECT ro.day, t.name FROM routes ro JOIN teams t ON t.id = ro.team_id WHERE ro.id = $1`, routeID).Scan(&day, &r.Team)
	if err != nil {
		return r, translate(err, "Route")
	}
	r.Day = day.Format(time.DateOnly)
	rows, err := tx.Query(ctx, `SELECT s.seq, q.kind, q.address_text, s.eta FROM stops s JOIN requests q ON q.id = s.request_id
		WHERE s.route_id = $1 AND s.status <> 'removed' ORDER BY s.seq`, routeID)
	if err != nil {
		return r, fmt.Errorf("read route stops id=%d: %w", routeID, err)
	}
	r.Stops, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.NoticeStop, error) {
		var s dispatch.NoticeStop
		err := row.Scan(&s.Seq, &s.Kind, &s.Address, &s.ETA)
		return s, err
	})
	return r, err
}

// TelegramConfig is what producing notices needs beyond the database.
type TelegramConfig struct {
	// PublicURL prefixes page links in messages; empty leaves them out.
	PublicURL string
	// AlertAfter is how long a not-home alert stays open before the
	// dispatchers hear of it.
	AlertAfter time.Duration
	// ReminderAt is the morning reminder's time, "HH:MM" in Astana.
	ReminderAt string
}

// Cursor returns how far the named consumer of events has got.
func (db *DB) Cursor(ctx context.Context, name string) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `INSERT INTO event_cursors (name) VALUES ($1)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING last_event_id`, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("read event cursor name=%s: %w", name, err)
	}
	return id, nil
}

// errCursorMoved tells a consumer another instance got there first.
var errCursorMoved = errors.New("event cursor moved")

// consume runs fn for events after the named cursor, in one transaction
// that also moves the cursor to upTo, but only when the cursor is still at
// from (another instance may have done the work). It reports whether it
// did.
func (db *DB) consume(ctx context.Context, name string, from, upTo int64, fn func(tx pgx.Tx) error) (bool, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var cur int64
		if err := tx.QueryRow(ctx, `SELECT last_event_id FROM event_cursors WHERE name = $1 FOR UPDATE`, name).Scan(&cur); err != nil {
			return fmt.Errorf("lock event cursor name=%s: %w", name, err)
		}
		if cur != from {
			return errCursorMoved
		}
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE event_cursors SET last_event_id = $2 WHERE name = $1`, name, upTo)
		return err
	})
	if errors.Is(err, errCursorMoved) {
		return false, nil
	}
	return err == nil, err
}

// EnqueueTelegramEvents turns events (after the "telegram" cursor at from,
// up to upTo) into outbox messages and moves the cursor, atomically.
func (db *DB) EnqueueTelegramEvents(ctx context.Context, from, upTo int64, evs []dispatch.Event, cfg TelegramConfig) (bool, error) {
	today := dispatch.LocalDate(db.Now())
	return db.consume(ctx, "telegram", from, upTo, func(tx pgx.Tx) error {
		for _, e := range evs {
			var p struct {
				Reason  string `json:"reason"`
				ID      int64  `json:"id"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(e.Payload, &p)
			kind, aud, ok := dispatch.NoticeFor(e, p.Reason)
			if !ok {
				continue
			}
			rs, err := recipients(ctx, tx, aud)
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				continue
			}
			var route dispatch.NoticeRoute
			if kind == dispatch.NoticeRoutePublished || kind == dispatch.NoticeRouteChanged {
				if route, err = noticeRoute(ctx, tx, e.EntityID); err != nil {
					return err
				}
			}
			for _, r := range rs {
				var text string
				switch kind {
				case dispatch.NoticeRoutePublished:
					text = dispatch.RouteNotice(r.lang, route, today, pageURL(cfg, "/team"), false)
				case dispatch.NoticeRouteChanged:
					text = dispatch.ChangeNotice(r.lang, p.Reason, route, pageURL(cfg, "/team"))
				case dispatch.NoticePlanFailed:
					text = dispatch.PlanFailedNotice(r.lang, e.EntityID, p.Message)
				}
				key := fmt.Sprintf("event:%d:%d", e.ID, r.chatID)
				if err := db.enqueueTelegram(ctx, tx, key, r.chatID, text); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func pageURL(cfg TelegramConfig, path string) string {
	if cfg.PublicURL == "" {
		return ""
	}
	return cfg.PublicURL + path
}

// EnqueueTelegramChecks queues what depends on the clock: escalated
// not-home alerts (once per alert and chat) and the morning reminder
// (once per route and chat, from ReminderAt on the route's day).
func (db *DB) EnqueueTelegramChecks(ctx context.Context, cfg TelegramConfig) error {
	now := db.Now()
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if cfg.AlertAfter > 0 {
			rows, err := tx.Query(ctx, `SELECT a.id, coalesce(t.name, ''), coalesce(r.address_text, ''), a.created_at
				FROM alerts a LEFT JOIN teams t ON t.id = a.team_id LEFT JOIN requests r ON r.id = a.request_id
				WHERE a.status = 'open' AND a.kind = 'not_home' AND a.created_at <= $1
				  AND a.created_at > $1 - interval '2 days' ORDER BY a.id`, now.Add(-cfg.AlertAfter))
			if err != nil {
				return fmt.Errorf("find escalated alerts: %w", err)
			}
			type alert struct {
				id            int64
				team, address string
				at            time.Time
			}
			as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alert, error) {
				var a alert
				err := row.Scan(&a.id, &a.team, &a.address, &a.at)
				return a, err
			})
			if err != nil {
				return fmt.Errorf("scan escalated alerts: %w", err)
			}
			if len(as) > 0 {
				rs, err := recipients(ctx, tx, dispatch.Audience{Role: dispatch.RoleDispatcher})
				if err != nil {
					return err
				}
				for _, a := range as {
					// The address shown is the street: the dispatcher's
					// map has the house, a chat on a phone need not.
					street := dispatch.StreetOnly(a.address)
					for _, r := range rs {
						text := dispatch.AlertNotice(r.lang, a.id, a.team, street, int(now.Sub(a.at).Minutes()), pageURL(cfg, "/dispatch"))
						if err := db.enqueueTelegram(ctx, tx, fmt.Sprintf("alert:%d:%d", a.id, r.chatID), r.chatID, text); err != nil {
							return err
						}
					}
				}
			}
		}
		if cfg.ReminderAt == "" || dispatch.CityTime(now).Format("15:04") < cfg.ReminderAt {
			return nil
		}
		today := dispatch.LocalDate(now)
		rows, err := tx.Query(ctx, `SELECT id, team_id FROM routes WHERE day = $1 AND status = 'published' ORDER BY id`, today)
		if err != nil {
			return fmt.Errorf("find today's routes: %w", err)
		}
		type rt struct{ id, team int64 }
		rts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rt, error) {
			var r rt
			err := row.Scan(&r.id, &r.team)
			return r, err
		})
		if err != nil {
			return fmt.Errorf("scan today's routes: %w", err)
		}
		for _, x := range rts {
			rs, err := recipients(ctx, tx, dispatch.Audience{Role: dispatch.RoleTeamLead, TeamID: x.team})
			if err != nil || len(rs) == 0 {
				if err != nil {
					return err
				}
				continue
			}
			route, err := noticeRoute(ctx, tx, x.id)
			if err != nil {
				return err
			}
			for _, r := range rs {
				text := dispatch.RouteNotice(r.lang, route, today, pageURL(cfg, "/team"), true)
				if err := db.enqueueTelegram(ctx, tx, "reminder:"+strconv.FormatInt(x.id, 10)+":"+today+":"+strconv.FormatInt(r.chatID, 10), r.chatID, text); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// OutboxMessage is one message to send.
type OutboxMessage struct {
	ID       int64
	ChatID   int64
	Text     string
	Attempts int
}

// SendOutcome is what became of one send.
type SendOutcome struct {
	// MessageID is Telegram's id of the sent message; set on success.
	MessageID int64
	// Err is why the send failed; nil on success.
	Err error
	// RetryAfter is when to try again (Telegram's retry_after, or the
	// back-off); Permanent gives up at once (a chat that blocked the bot).
	RetryAfter time.Duration
	Permanent  bool
}

// MaxTelegramAttempts is how often a message is tried before it is marked
// failed.
const MaxTelegramAttempts = 10

// sendTelegram sends outbox message id under its row lock and records the
// outcome in the same transaction, so it is marked sent exactly when
// Telegram took it; a message already sent or given up is left alone (a
// job may run twice). It returns the outcome of the send, zero when there
// was nothing to send.
func (db *DB) sendTelegram(ctx context.Context, id int64, lastAttempt bool, send func(ctx context.Context, m OutboxMessage) SendOutcome) (SendOutcome, error) {
	// Not db.inTx: its retry on deadlock would send a second time.
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return SendOutcome{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var m OutboxMessage
	err = tx.QueryRow(ctx, `SELECT id, chat_id, text, attempts FROM telegram_outbox
		WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL FOR UPDATE`, id).Scan(&m.ID, &m.ChatID, &m.Text, &m.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return SendOutcome{}, nil
	} else if err != nil {
		return SendOutcome{}, fmt.Errorf("lock telegram message id=%d: %w", id, err)
	}
	out := send(ctx, m)
	now := db.Now()
	if out.Err == nil {
		_, err = tx.Exec(ctx, `UPDATE telegram_outbox SET sent_at = $2, message_id = $3, attempts = attempts + 1 WHERE id = $1`, m.ID, now, out.MessageID)
	} else {
		var failed *time.Time
		if out.Permanent || lastAttempt {
			failed = &now
		}
		_, err = tx.Exec(ctx, `UPDATE telegram_outbox SET attempts = attempts + 1, last_error = $2, next_at = $3, failed_at = $4 WHERE id = $1`,
			m.ID, out.Err.Error(), now.Add(out.RetryAfter), failed)
	}
	if err != nil {
		return out, fmt.Errorf("record telegram send id=%d: %w", m.ID, err)
	}
	return out, tx.Commit(ctx)
}

// TelegramOffset returns the getUpdates offset.
func (db *DB) TelegramOffset(ctx context.Context) (int64, error) {
	var off int64
	err := db.pool.QueryRow(ctx, `SELECT update_offset FROM telegram_state WHERE id = 1`).Scan(&off)
	return off, err
}

// SetTelegramOffset stores the getUpdates offset.
func (db *DB) SetTelegramOffset(ctx context.Context, off int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE telegram_state SET update_offset = greatest(update_offset, $1) WHERE id = 1`, off)
	return err
}

// WithLock runs fn while holding the named session advisory lock on a
// connection of its own, so only one instance does it (Telegram allows
// one getUpdates poller per bot). It returns false at once when another
// instance holds the lock.
func (db *DB) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) (bool, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("acquire connection for lock=%s: %w", name, err)
	}
	defer conn.Release()
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('qamqor-lock:' || $1))`, name).Scan(&ok); err != nil {
		return false, fmt.Errorf("try lock=%s: %w", name, err)
	}
	if !ok {
		return false, nil
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('qamqor-lock:' || $1))`, name)
	return true, fn(ctx)
}
