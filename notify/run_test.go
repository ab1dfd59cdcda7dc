package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch/postgres"
)

// TestSenderPaces: the sender keeps to PerSecond overall and one message a
// second per chat.
func TestSenderPaces(t *testing.T) {
	var mu sync.Mutex
	at := map[string][]time.Time{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		at[r.Form.Get("chat_id")] = append(at[r.Form.Get("chat_id")], time.Now())
		mu.Unlock()
		w.Write([]byte(`{"ok":true,"result":{"message_id":1}}`))
	}))
	defer api.Close()
	tg := &Telegram{Bot: &Bot{API: api.URL, Token: "t"}, PerSecond: 20}
	send := tg.Sender()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 10 {
		chat := int64(1)
		if i >= 3 {
			chat = int64(100 + i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out := send(context.Background(), postgres.OutboxMessage{ChatID: chat, Text: "x"}); out.Err != nil {
				t.Error(out.Err)
			}
		}()
	}
	wg.Wait()
	same := at["1"]
	if len(same) != 3 {
		t.Fatalf("chat 1 got %d messages, want 3", len(same))
	}
	for i := 1; i < len(same); i++ {
		for j := 0; j < i; j++ {
			if d := same[i].Sub(same[j]); d > -900*time.Millisecond && d < 900*time.Millisecond {
				t.Errorf("two messages to one chat %v apart, want about a second", d)
			}
		}
	}
	// 7 other chats at 20/s take about 0.35 s; chat 1's three take 2 s.
	if el := time.Since(start); el < 1900*time.Millisecond || el > 5*time.Second {
		t.Errorf("10 sends took %v, want about 2 s", el)
	}
}

func TestAPIErrorPermanent(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(429)
		w.Write([]byte(`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`))
	}))
	defer api.Close()
	tg := &Telegram{Bot: &Bot{API: api.URL, Token: "t"}}
	out := tg.Sender()(context.Background(), postgres.OutboxMessage{ChatID: 1, Text: "x"})
	if out.Err == nil || out.Permanent || out.RetryAfter != 7*time.Second {
		t.Errorf("429: %+v, want a retry after 7 s", out)
	}
}
