// Package notify delivers Qamqor's notifications to other systems: Telegram
// messages through the Bot API and signed webhooks. It talks HTTP and runs
// the background loops; what is sent to whom is decided in dispatch, and
// the outboxes live in dispatch/postgres.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTelegramAPI is the official Bot API.
const DefaultTelegramAPI = "https://api.telegram.org"

// Bot is a client of the Telegram Bot API
// (https://core.telegram.org/bots/api): sendMessage and getUpdates.
type Bot struct {
	// API is the base URL, DefaultTelegramAPI or a test server.
	API   string
	Token string
	HTTP  *http.Client
}

// APIError is an answer with "ok": false.
type APIError struct {
	Code        int
	Description string
	// RetryAfter is set on 429: seconds to wait (parameters.retry_after).
	RetryAfter int
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram: %d %s", e.Code, e.Description)
}

// Permanent reports whether retrying cannot help: the chat blocked the bot,
// does not exist, or the request is malformed (400/403), but not 429.
func (e *APIError) Permanent() bool { return e.Code == 400 || e.Code == 403 }

// apiResponse is the Bot API's envelope.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func (b *Bot) call(ctx context.Context, method string, params url.Values, out any) error {
	u := strings.TrimRight(b.API, "/") + "/bot" + b.Token + "/" + method
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(params.Encode()))
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := b.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		// The URL holds the token: never let it reach a log.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("telegram %s: read answer: %w", method, err)
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return &APIError{Code: res.StatusCode, Description: "answer is not JSON"}
	}
	if !r.OK {
		code := r.ErrorCode
		if code == 0 {
			code = res.StatusCode
		}
		return &APIError{Code: code, Description: r.Description, RetryAfter: r.Parameters.RetryAfter}
	}
	if out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			return fmt.Errorf("telegram %s: decode result: %w", method, err)
		}
	}
	return nil
}

// SendMessage sends text to chatID and returns the message's id.
func (b *Bot) SendMessage(ctx context.Context, chatID int64, text string) (int64, error) {
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	err := b.call(ctx, "sendMessage", url.Values{
		"chat_id": {strconv.FormatInt(chatID, 10)}, "text": {text}, "link_preview_options": {`{"is_disabled":true}`},
	}, &m)
	return m.MessageID, err
}

// Update is the part of a Bot API Update that Qamqor reads.
type Update struct {
	UpdateID int64 `json:"update_id"`
	Message  *struct {
		Text string `json:"text"`
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
	} `json:"message"`
}

// GetUpdates long-polls for updates from offset on, waiting up to timeout.
func (b *Bot) GetUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]Update, error) {
	var us []Update
	err := b.call(ctx, "getUpdates", url.Values{
		"offset": {strconv.FormatInt(offset, 10)}, "timeout": {strconv.Itoa(int(timeout.Seconds()))},
		"allowed_updates": {`["message"]`},
	}, &us)
	return us, err
}
