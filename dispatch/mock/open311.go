package mock

import (
	"context"

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
