package dispatch

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// Outbound webhooks tell other systems what happens, signed by the
// Standard Webhooks scheme (https://www.standardwebhooks.com). This file
// holds the rules: which events go out under which type, and what a
// payload may hold; untrusted subscriptions get no personal data.

// Webhook event types a subscription may choose.
const (
	WebhookRequestCreated = "request.created"
	WebhookStatusChanged  = "request.status_changed"
	WebhookRoutePublished = "route.published"
	WebhookAlert          = "alert.raised"
)

// WebhookTypes lists every type, in the order the admin page shows them.
var WebhookTypes = []string{WebhookRequestCreated, WebhookStatusChanged, WebhookRoutePublished, WebhookAlert}

// Webhook is an admin's subscription of a URL to event types.
type Webhook struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Trusted     bool      `json:"trusted"`
	Active      bool      `json:"active"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	// Secret is "whsec_" plus the base64 signing key. It is shown when the
	// subscription is created and never listed again.
	Secret string `json:"secret,omitempty"`
}

// WebhookInput registers or changes a subscription.
type WebhookInput struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Trusted     bool     `json:"trusted"`
	Description string   `json:"description"`
}

// Normalize checks the input: an absolute http(s) URL and known types.
func (in *WebhookInput) Normalize() error {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.URL) > 2000 {
		return Invalid("url", "The URL must be an absolute http or https address.")
	}
	if u.User != nil {
		return Invalid("url", "Put no user name or password in the URL; deliveries are signed instead.")
	}
	if len(in.Events) == 0 {
		return Invalid("events", "Choose at least one event type.")
	}
	seen := map[string]bool{}
	var evs []string
	for _, e := range in.Events {
		ok := false
		for _, t := range WebhookTypes {
			ok = ok || t == e
		}
		if !ok {
			return Invalid("events", "Unknown event type %q.", e)
		}
		if !seen[e] {
			seen[e] = true
			evs = append(evs, e)
		}
	}
	in.Events = evs
	if utf8.RuneCountInString(in.Description) > 500 {
		return Invalid("description", "The description is too long (500 characters at most).")
	}
	return nil
}

// NewWebhookSecret returns a fresh signing secret, "whsec_" and 32 random
// bytes in base64, as Standard Webhooks writes them.
func NewWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random webhook secret: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// SignWebhook returns the webhook-signature header of a delivery:
// "v1," and the base64 HMAC-SHA256, keyed with the secret's bytes, of
// "id.timestamp.body".
func SignWebhook(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhook secret is not base64: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// WebhookTypeOf is the webhook type of an event, or false when no webhook
// gets it.
func WebhookTypeOf(e Event) (string, bool) {
	switch e.Type {
	case EventRequestCreated, EventRequestStatusChanged, EventRoutePublished, EventAlertRaised:
		return e.Type, true
	}
	return "", false
}

// WebhookData is the data member of a delivery for one event. Trusted
// subscriptions get the event as the dispatchers see it (address, exact
// point, notes); others get only what the public Open311 view shows: kind,
// status, times, the street and a rounded point, never a name, phone,
// flat, house or note. It reports whether the data holds personal data,
// and of which care address, so the read can be audited.
func WebhookData(e Event, trusted bool) (data map[string]any, careAddressID *int64, err error) {
	var p map[string]any
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, nil, fmt.Errorf("decode event id=%d: %w", e.ID, err)
	}
	careOf := func(m map[string]any) *int64 {
		if v, ok := m["care_address_id"].(float64); ok && v > 0 {
			id := int64(v)
			return &id
		}
		return nil
	}
	public := func(r map[string]any) map[string]any {
		out := map[string]any{}
		for _, k := range []string{"id", "kind", "status", "source", "priority", "created_at", "updated_at"} {
			if v, ok := r[k]; ok {
				out[k] = v
			}
		}
		if s, ok := r["status"].(string); ok {
			out["open311_status"] = Open311Status(RequestStatus(s))
		}
		addr, _ := r["address"].(string)
		out["street"] = StreetOnly(addr)
		lat, _ := r["lat"].(float64)
		lon, _ := r["lon"].(float64)
		c := CoarsenPoint(orb.Point{lon, lat})
		out["lat"], out["lon"] = c.Lat(), c.Lon()
		return out
	}
	switch e.Type {
	case EventRequestCreated:
		if trusted {
			return p, careOf(p), nil
		}
		return public(p), nil, nil
	case EventRequestStatusChanged:
		r, _ := p["request"].(map[string]any)
		if trusted {
			return p, careOf(r), nil
		}
		out := map[string]any{"id": p["id"], "from": p["from"], "to": p["to"]}
		if r != nil {
			out["request"] = public(r)
		}
		return out, nil, nil
	case EventRoutePublished:
		return map[string]any{"id": p["id"], "team_id": p["team_id"], "day": p["day"]}, nil, nil
	case EventAlertRaised:
		if trusted {
			return p, careOf(p), nil
		}
		out := map[string]any{}
		for _, k := range []string{"id", "kind", "status", "team_id", "request_id", "stop_id", "created_at"} {
			if v, ok := p[k]; ok {
				out[k] = v
			}
		}
		return out, nil, nil
	}
	return nil, nil, Errorf(EINVALID, "Event type %s has no webhook.", e.Type)
}

// WebhookDelivery is one attempt's worth of what the delivery log shows.
type WebhookDelivery struct {
	ID          int64      `json:"id"`
	WebhookID   int64      `json:"webhook_id"`
	MsgID       string     `json:"msg_id"`
	EventType   string     `json:"event_type"`
	CreatedAt   time.Time  `json:"created_at"`
	Attempts    int        `json:"attempts"`
	LastStatus  *int       `json:"last_status,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	NextAt      *time.Time `json:"next_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	FailedAt    *time.Time `json:"failed_at,omitempty"`
}

// WebhookStore keeps subscriptions and their delivery log.
type WebhookStore interface {
	// CreateWebhook stores a subscription; the answer holds its secret.
	CreateWebhook(ctx context.Context, actor *User, in WebhookInput) (*Webhook, error)
	// FindWebhooks lists subscriptions without their secrets.
	FindWebhooks(ctx context.Context, actor *User) ([]*Webhook, error)
	// SetWebhookActive turns deliveries on or off; ENOTFOUND when missing.
	SetWebhookActive(ctx context.Context, actor *User, id int64, active bool) (*Webhook, error)
	// FindWebhookDeliveries is the delivery log of a subscription, newest
	// first.
	FindWebhookDeliveries(ctx context.Context, actor *User, id int64, limit int) ([]*WebhookDelivery, error)
}
