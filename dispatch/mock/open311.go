package mock

import (
	"context"
	"time"

	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.APIKeyStore = (*APIKeyStore)(nil)

// APIKeyStore is a mock dispatch.APIKeyStore.
type APIKeyStore struct {
	CreateAPIKeyFn       func(ctx context.Context, in dispatch.APIKeyInput) (*dispatch.APIKey, string, error)
	FindAPIKeyFn         func(ctx context.Context, secret string) (*dispatch.APIKey, error)
	FindAPIKeysFn        func(ctx context.Context) ([]*dispatch.APIKey, error)
	RevokeAPIKeyFn       func(ctx context.Context, id int64) (*dispatch.APIKey, error)
	FindPublicRequestsFn func(ctx context.Context, f dispatch.PublicRequestFilter) ([]*dispatch.PublicRequest, error)
}

// CreateAPIKey calls CreateAPIKeyFn.
func (s *APIKeyStore) CreateAPIKey(ctx context.Context, in dispatch.APIKeyInput) (*dispatch.APIKey, string, error) {
	return s.CreateAPIKeyFn(ctx, in)
}

// FindAPIKey calls FindAPIKeyFn.
func (s *APIKeyStore) FindAPIKey(ctx context.Context, secret string) (*dispatch.APIKey, error) {
	return s.FindAPIKeyFn(ctx, secret)
}

// FindAPIKeys calls FindAPIKeysFn.
func (s *APIKeyStore) FindAPIKeys(ctx context.Context) ([]*dispatch.APIKey, error) {
	return s.FindAPIKeysFn(ctx)
}

// RevokeAPIKey calls RevokeAPIKeyFn.
func (s *APIKeyStore) RevokeAPIKey(ctx context.Context, id int64) (*dispatch.APIKey, error) {
	return s.RevokeAPIKeyFn(ctx, id)
}

// FindPublicRequests calls FindPublicRequestsFn.
func (s *APIKeyStore) FindPublicRequests(ctx context.Context, f dispatch.PublicRequestFilter) ([]*dispatch.PublicRequest, error) {
	return s.FindPublicRequestsFn(ctx, f)
}

var _ dispatch.TelegramStore = (*TelegramStore)(nil)

// TelegramStore is a mock dispatch.TelegramStore.
type TelegramStore struct {
	StartTelegramLinkFn func(ctx context.Context, actor *dispatch.User, lang string) (string, time.Time, error)
	FindTelegramLinkFn  func(ctx context.Context, actor *dispatch.User) (*dispatch.TelegramLink, error)
	UnlinkTelegramFn    func(ctx context.Context, actor *dispatch.User) error
}

// StartTelegramLink calls StartTelegramLinkFn.
func (s *TelegramStore) StartTelegramLink(ctx context.Context, actor *dispatch.User, lang string) (string, time.Time, error) {
	return s.StartTelegramLinkFn(ctx, actor, lang)
}

// FindTelegramLink calls FindTelegramLinkFn.
func (s *TelegramStore) FindTelegramLink(ctx context.Context, actor *dispatch.User) (*dispatch.TelegramLink, error) {
	return s.FindTelegramLinkFn(ctx, actor)
}

// UnlinkTelegram calls UnlinkTelegramFn.
func (s *TelegramStore) UnlinkTelegram(ctx context.Context, actor *dispatch.User) error {
	return s.UnlinkTelegramFn(ctx, actor)
}

var _ dispatch.WebhookStore = (*WebhookStore)(nil)

// WebhookStore is a mock dispatch.WebhookStore.
type WebhookStore struct {
	CreateWebhookFn         func(ctx context.Context, actor *dispatch.User, in dispatch.WebhookInput) (*dispatch.Webhook, error)
	FindWebhooksFn          func(ctx context.Context, actor *dispatch.User) ([]*dispatch.Webhook, error)
	SetWebhookActiveFn      func(ctx context.Context, actor *dispatch.User, id int64, active bool) (*dispatch.Webhook, error)
	FindWebhookDeliveriesFn func(ctx context.Context, actor *dispatch.User, id int64, limit int) ([]*dispatch.WebhookDelivery, error)
}

// CreateWebhook calls CreateWebhookFn.
func (s *WebhookStore) CreateWebhook(ctx context.Context, actor *dispatch.User, in dispatch.WebhookInput) (*dispatch.Webhook, error) {
	return s.CreateWebhookFn(ctx, actor, in)
}

// FindWebhooks calls FindWebhooksFn.
func (s *WebhookStore) FindWebhooks(ctx context.Context, actor *dispatch.User) ([]*dispatch.Webhook, error) {
	return s.FindWebhooksFn(ctx, actor)
}

// SetWebhookActive calls SetWebhookActiveFn.
func (s *WebhookStore) SetWebhookActive(ctx context.Context, actor *dispatch.User, id int64, active bool) (*dispatch.Webhook, error) {
	return s.SetWebhookActiveFn(ctx, actor, id, active)
}

// FindWebhookDeliveries calls FindWebhookDeliveriesFn.
func (s *WebhookStore) FindWebhookDeliveries(ctx context.Context, actor *dispatch.User, id int64, limit int) ([]*dispatch.WebhookDelivery, error) {
	return s.FindWebhookDeliveriesFn(ctx, actor, id, limit)
}
