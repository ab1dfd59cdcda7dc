package dispatch

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Telegram notifications reach people who are not looking at the page:
// team leads get their route when it is published, its changes and a
// morning reminder; dispatchers get welfare alerts nobody handled in time
// and failed planning jobs. This file holds the rules (who gets what, in
// which words); dispatch/postgres keeps the links and the outbox, and
// package notify talks to the Bot API.

// LinkCodeTTL is how long a one-time link code may be sent to the bot.
const LinkCodeTTL = 15 * time.Minute

// linkAlphabet has no look-alike characters (0/O, 1/I/L), as codes are typed.
const linkAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewLinkCode returns a random 8-character code and its hash (what the
// store keeps).
func NewLinkCode() (code string, hash []byte, err error) {
	var b strings.Builder
	for range 8 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(linkAlphabet))))
		if err != nil {
			return "", nil, fmt.Errorf("random link code: %w", err)
		}
		b.WriteByte(linkAlphabet[n.Int64()])
	}
	code = b.String()
	return code, HashLinkCode(code), nil
}

// HashLinkCode normalises what a user typed (case, spaces) and hashes it.
func HashLinkCode(code string) []byte {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return h[:]
}

// StartCode returns the code of a "/start CODE" message to the bot.
func StartCode(text string) (string, bool) {
	f := strings.Fields(text)
	if len(f) != 2 || (f[0] != "/start" && !strings.HasPrefix(f[0], "/start@")) {
		return "", false
	}
	return f[1], true
}

// TelegramLink is a user's link to a Telegram chat.
type TelegramLink struct {
	UserID        int64      `json:"user_id"`
	Linked        bool       `json:"linked"`
	Lang          string     `json:"lang"`
	LinkedAt      *time.Time `json:"linked_at,omitempty"`
	CodeExpiresAt *time.Time `json:"code_expires_at,omitempty"`
}

// TelegramStore keeps links and the Telegram outbox.
type TelegramStore interface {
	// StartTelegramLink stores a new one-time code for the user (replacing
	// an earlier one) and returns it with its expiry.
	StartTelegramLink(ctx context.Context, actor *User, lang string) (code string, expires time.Time, err error)
	// FindTelegramLink returns the user's link state (Linked false when
	// none).
	FindTelegramLink(ctx context.Context, actor *User) (*TelegramLink, error)
	// UnlinkTelegram forgets the user's chat.
	UnlinkTelegram(ctx context.Context, actor *User) error
}

// Audience is who a notification goes to: the leads of one team or every
// dispatcher.
type Audience struct {
	Role   Role
	TeamID int64
}

// Notice kinds.
const (
	NoticeRoutePublished = "route_published"
	NoticeRouteChanged   = "route_changed"
	NoticeReminder       = "reminder"
	NoticeAlert          = "alert"
	NoticePlanFailed     = "plan_failed"
	NoticeLinked         = "linked"
)

// routeChangeReasons are the route.changed reasons a lead is told about:
// stops added, removed or moved on a live route. ETA updates and locks are
// not news to the team.
var routeChangeReasons = map[string]bool{"stop moved": true, "stop moved out": true, "stop removed": true, "replanned": true}

// NoticeFor says whether an event is sent to Telegram, what kind of notice
// it is and to whom. Route events go to the team's leads only when the
// route is live (the event carries the team); a failed plan goes to the
// dispatchers. Welfare alerts are not sent when raised but when nobody
// handled them in time (see AlertEscalation).
func NoticeFor(e Event, reason string) (kind string, to Audience, ok bool) {
	switch e.Type {
	case EventRoutePublished:
		if e.TeamID != nil {
			return NoticeRoutePublished, Audience{Role: RoleTeamLead, TeamID: *e.TeamID}, true
		}
	case EventRouteChanged:
		if e.TeamID != nil && routeChangeReasons[reason] {
			return NoticeRouteChanged, Audience{Role: RoleTeamLead, TeamID: *e.TeamID}, true
		}
	case EventPlanFailed:
		return NoticePlanFailed, Audience{Role: RoleDispatcher}, true
	}
	return "", Audience{}, false
}

// DefaultAlertEscalation is how long a "not home" alert may stay open
// before the dispatchers are told on Telegram.
const DefaultAlertEscalation = 15 * time.Minute

// DefaultReminderAt is when, Astana time, leads get the morning reminder.
const DefaultReminderAt = "07:30"

// NoticeStop is one stop as a notice lists it: no names or phones, only
// what the lead's page shows anyway.
type NoticeStop struct {
	Seq     int
	Kind    RequestKind
	Address string
	ETA     *time.Time
}

// NoticeRoute is a route as a notice describes it.
type NoticeRoute struct {
	ID    int64
	Day   string
	Team  string
	Stops []NoticeStop
}

var kindWords = map[RequestKind]Text{
	SnowClearing: {"қар тазалау", "уборка снега", "snow clearing"},
	FoodDelivery: {"азық-түлік", "продукты", "food delivery"},
	OtherKind:    {"басқа көмек", "другая помощь", "other help"},
}

var (
	txtRouteToday    = Text{"Бүгінгі бағыт жарияланды", "Опубликован маршрут на сегодня", "Today's route is published"}
	txtRouteTomorrow = Text{"Ертеңгі бағыт жарияланды", "Опубликован маршрут на завтра", "Tomorrow's route is published"}
	txtRouteDay      = Text{"Бағыт жарияланды", "Опубликован маршрут", "Route published"}
	txtStops         = Text{"аялдама", "остановок", "stops"}
	txtChanged       = Text{"Бағыт өзгерді", "Маршрут изменён", "Your route changed"}
	txtReminder      = Text{"Қайырлы таң! Бүгінгі бағыт", "Доброе утро! Маршрут на сегодня", "Good morning! Today's route"}
	txtFirstAt       = Text{"бірінші аялдама", "первая остановка", "first stop"}
	txtOpenPage      = Text{"Бетті ашу", "Открыть страницу", "Open the page"}
	txtAlert         = Text{"Дабыл өңделмеді", "Тревога не обработана", "Alert not handled"}
	txtAlertBody     = Text{"есік ашылмады, %d минуттан бері ешкім өңдемеді", "никто не открыл, не обработана уже %d мин", "nobody answered the door; unhandled for %d min"}
	txtPlanFailed    = Text{"Жоспарлау сәтсіз аяқталды", "Планирование не удалось", "Planning failed"}
	txtLinked        = Text{"Qamqor хабарламалары осы чатқа келеді.", "Уведомления Qamqor будут приходить в этот чат.", "Qamqor notifications will come to this chat."}
	changeReasons    = map[string]Text{
		"stop moved":     {"аялдама қосылды немесе жылжытылды", "остановка добавлена или перемещена", "a stop was added or moved"},
		"stop moved out": {"аялдама басқа бағытқа ауысты", "остановка передана другому маршруту", "a stop went to another route"},
		"stop removed":   {"аялдама алынып тасталды", "остановка снята", "a stop was removed"},
		"replanned":      {"бағыт қайта жоспарланды", "маршрут перепланирован", "the route was re-planned"},
	}
)

// RouteNotice is the text of a published route (or of a reminder) in
// lang. today is the date in Astana, YYYY-MM-DD; pageURL may be empty.
func RouteNotice(lang string, r NoticeRoute, today, pageURL string, reminder bool) string {
	var b strings.Builder
	head := txtRouteDay.In(lang) + " " + r.Day
	switch {
	case reminder:
		head = txtReminder.In(lang)
	case r.Day == today:
		head = txtRouteToday.In(lang)
	case r.Day == nextDay(today):
		head = txtRouteTomorrow.In(lang) + " (" + r.Day + ")"
	}
	fmt.Fprintf(&b, "%s: %s, %d %s", head, r.Team, len(r.Stops), txtStops.In(lang))
	if reminder && len(r.Stops) > 0 && r.Stops[0].ETA != nil {
		fmt.Fprintf(&b, ", %s %s", txtFirstAt.In(lang), CityTime(*r.Stops[0].ETA).Format("15:04"))
	}
	b.WriteString(".\n")
	for _, s := range r.Stops {
		eta := "--:--"
		if s.ETA != nil {
			eta = CityTime(*s.ETA).Format("15:04")
		}
		fmt.Fprintf(&b, "%d. %s %s (%s)\n", s.Seq, eta, s.Address, kindWords[s.Kind].In(lang))
	}
	if pageURL != "" {
		fmt.Fprintf(&b, "%s: %s", txtOpenPage.In(lang), pageURL)
	}
	return strings.TrimSpace(b.String())
}

// ChangeNotice is the text of a change to a live route.
func ChangeNotice(lang, reason string, r NoticeRoute, pageURL string) string {
	why := changeReasons[reason].In(lang)
	s := fmt.Sprintf("%s (%s, %s): %s; %d %s.", txtChanged.In(lang), r.Team, r.Day, why, len(r.Stops), txtStops.In(lang))
	if pageURL != "" {
		s += "\n" + txtOpenPage.In(lang) + ": " + pageURL
	}
	return s
}

// AlertNotice is the text of an escalated welfare alert: the team and the
// address, which dispatchers see on their map anyway; no name or phone.
func AlertNotice(lang string, alertID int64, team, address string, minutes int, pageURL string) string {
	s := fmt.Sprintf("%s #%d: %s, %s — "+txtAlertBody.In(lang)+".", txtAlert.In(lang), alertID, team, address, minutes)
	if pageURL != "" {
		s += "\n" + txtOpenPage.In(lang) + ": " + pageURL
	}
	return s
}

// PlanFailedNotice is the text of a failed planning job.
func PlanFailedNotice(lang string, jobID int64, message string) string {
	return fmt.Sprintf("%s #%d: %s", txtPlanFailed.In(lang), jobID, message)
}

// LinkedNotice is the bot's answer once a chat is linked.
func LinkedNotice(lang string) string { return txtLinked.In(lang) }

func nextDay(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}
