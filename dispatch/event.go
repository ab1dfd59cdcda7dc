package dispatch

import (
	"encoding/json"
	"time"
)

// Event is one row of the append-only events table: every state change
// writes one in the same transaction as the change.
type Event struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	Entity    string          `json:"entity"`
	EntityID  int64           `json:"entity_id"`
	TeamID    *int64          `json:"team_id,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"created_at"`
}

// Event types.
const (
	EventRequestCreated       = "request.created"
	EventRequestStatusChanged = "request.status_changed"
	EventCareAddressCreated   = "care_address.created"
	EventCareAddressUpdated   = "care_address.updated"
)
