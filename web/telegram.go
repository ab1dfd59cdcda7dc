package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// registerTelegramRoutes adds linking a user's Telegram chat: the page asks
// for a one-time code, the user sends "/start CODE" to the bot, the page
// polls until linked.
func (s *Server) registerTelegramRoutes(r chi.Router) {
	r.Get("/api/telegram/link", s.handleTelegramLinkView)
	r.Post("/api/telegram/link", s.handleTelegramLinkStart)
	r.Delete("/api/telegram/link", s.handleTelegramUnlink)
}

// telegramLinkStarted is the answer to POST /api/telegram/link.
type telegramLinkStarted struct {
	Code      string    `json:"code"`
	Command   string    `json:"command"`
	ExpiresAt time.Time `json:"expires_at"`
	// BotURL opens the chat with the bot with the code filled in, when
	// the bot's name is known.
	BotURL string `json:"bot_url,omitempty"`
}

// telegramActor is the logged-in user when Telegram is on.
func (s *Server) telegramActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor := userFrom(r.Context())
	if actor == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in."))
		return nil, false
	}
	if s.Telegram == nil {
		s.Error(w, r, unavailable("Telegram notifications"))
		return nil, false
	}
	return actor, true
}

func (s *Server) handleTelegramLinkView(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.telegramActor(w, r)
	if !ok {
		return
	}
	l, err := s.Telegram.FindTelegramLink(r.Context(), actor)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) handleTelegramLinkStart(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.telegramActor(w, r)
	if !ok {
		return
	}
	code, exp, err := s.Telegram.StartTelegramLink(r.Context(), actor, langOf(r))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := telegramLinkStarted{Code: code, Command: "/start " + code, ExpiresAt: exp}
	if s.TelegramBot != "" {
		out.BotURL = "https://t.me/" + s.TelegramBot + "?start=" + code
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) handleTelegramUnlink(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.telegramActor(w, r)
	if !ok {
		return
	}
	if err := s.Telegram.UnlinkTelegram(r.Context(), actor); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func init() {
	describe(
		apiOp{Method: "GET", Pattern: "/api/telegram/link", Summary: "Whether the user's Telegram chat is linked", Tag: "telegram", Roles: "everyone logged in", Resp: dispatch.TelegramLink{}},
		apiOp{Method: "POST", Pattern: "/api/telegram/link", Summary: "A one-time code to send to the bot as /start CODE", Tag: "telegram", Roles: "everyone logged in", Resp: telegramLinkStarted{}, Status: 201},
		apiOp{Method: "DELETE", Pattern: "/api/telegram/link", Summary: "Unlink the user's Telegram chat", Tag: "telegram", Roles: "everyone logged in", Status: 204},
	)
}
