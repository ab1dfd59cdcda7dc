package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

// TestTelegramBoxOnlyWhenOn: pages offer linking Telegram only when the
// bot is configured, so a server without it shows (and fetches) nothing.
func TestTelegramBoxOnlyWhenOn(t *testing.T) {
	ts := MustServer(t, Config{})
	for _, p := range []string{"/", "/team"} {
		w := ts.do(t, call{Method: "GET", Path: p, Role: dispatch.RoleTeamLead})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="tg-link"`) || !strings.Contains(w.Body.String(), "telegram.js") {
			t.Errorf("%s with the bot on: Code=%d, want the Telegram box", p, w.Code)
		}
	}
	ts.Telegram = nil
	for _, p := range []string{"/", "/team"} {
		w := ts.do(t, call{Method: "GET", Path: p, Role: dispatch.RoleTeamLead})
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="tg-link"`) || strings.Contains(w.Body.String(), "telegram.js") {
			t.Errorf("%s with the bot off: Code=%d, want no Telegram box", p, w.Code)
		}
	}
}
