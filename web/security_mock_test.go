package web

import (
	"context"
	"net/http"

	"github.com/qamqor/qamqor/dispatch"
)

// fakeTwoFactor is an in-memory dispatch.TwoFactorStore for handler tests:
// settings only, nobody has TOTP, and no login ticket is valid.
type fakeTwoFactor struct {
	settings dispatch.SecuritySettings
}

func (f *fakeTwoFactor) SecuritySettings(ctx context.Context) (dispatch.SecuritySettings, error) {
	return f.settings, nil
}

func (f *fakeTwoFactor) SaveSecuritySettings(ctx context.Context, actor *dispatch.User, s dispatch.SecuritySettings) error {
	if err := dispatch.Require(actor, dispatch.ActManageUsers); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	f.settings = s
	return nil
}

func (f *fakeTwoFactor) TOTPEnabled(ctx context.Context, userID int64) (bool, error) {
	return false, nil
}
func (f *fakeTwoFactor) CreateLoginTicket(ctx context.Context, userID int64) (string, error) {
	return "ticket", nil
}
func (f *fakeTwoFactor) UseLoginTicket(ctx context.Context, token string) (*dispatch.User, error) {
	return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "This login has expired or had too many wrong codes; log in again.")
}
func (f *fakeTwoFactor) DeleteLoginTicket(ctx context.Context, token string) error { return nil }
func (f *fakeTwoFactor) BeginTOTP(ctx context.Context, userID int64, s string) (string, error) {
	return s, nil
}
func (f *fakeTwoFactor) TOTPSecret(ctx context.Context, userID int64) (string, error) {
	return "", dispatch.Errorf(dispatch.ENOTFOUND, "Two-factor login is not set up.")
}
func (f *fakeTwoFactor) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	return false, nil
}
func (f *fakeTwoFactor) EnableTOTP(ctx context.Context, userID int64, h [][]byte) error { return nil }
func (f *fakeTwoFactor) UseRecoveryCode(ctx context.Context, userID int64, h []byte) (bool, error) {
	return false, nil
}
func (f *fakeTwoFactor) DisableTOTP(ctx context.Context, actor *dispatch.User, userID int64) error {
	return dispatch.Require(actor, dispatch.ActManageUsers)
}

type fakeApprover struct{}

func (fakeApprover) ApproveVisit(ctx context.Context, actor *dispatch.User, id int64) error {
	return dispatch.Require(actor, dispatch.ActApproveVisit)
}

type fakeAudit struct{}

func (fakeAudit) FindAudit(ctx context.Context, actor *dispatch.User, f dispatch.AuditFilter) ([]dispatch.AuditEntry, int, error) {
	if err := dispatch.Require(actor, dispatch.ActViewAudit); err != nil {
		return nil, 0, err
	}
	id := int64(5)
	return []dispatch.AuditEntry{{ID: 1, Actor: "admin", Action: "read", ObjectType: "care_address", ObjectID: &id, Source: "192.0.2.1"}}, 1, nil
}

func (fakeAudit) RecordReads(ctx context.Context, actor *dispatch.User, objectType string, ids []int64, detail string) error {
	return nil
}

type fakePrivacy struct{}

func (fakePrivacy) PurgeExpired(ctx context.Context, r dispatch.Retention) (dispatch.PurgeResult, error) {
	return dispatch.PurgeResult{}, nil
}
func (fakePrivacy) EraseCareAddress(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.ErasureReport, error) {
	if err := dispatch.Require(actor, dispatch.ActErase); err != nil {
		return nil, err
	}
	return &dispatch.ErasureReport{CareAddressID: id, Rows: map[string]int64{"care_addresses": 1}}, nil
}

func setSecurityMocks(s *Server) {
	s.TwoFactor = &fakeTwoFactor{}
	s.Consent = fakeApprover{}
	s.Audit = fakeAudit{}
	s.Privacy = fakePrivacy{}
}

func init() {
	for k, v := range map[string]routeExpect{
		"POST /api/login/totp":                  {Ticket: true, Body: `{"code":"123456"}`},
		"GET /api/login/enrol":                  {Ticket: true},
		"POST /api/login/enrol":                 {Ticket: true, Body: `{"code":"123456"}`},
		"POST /login/totp":                      {Ticket: true, Body: "code=123456", ContentType: "application/x-www-form-urlencoded"},
		"POST /login/enrol":                     {Ticket: true, Body: "code=123456", ContentType: "application/x-www-form-urlencoded"},
		"GET /api/security/settings":            {Roles: admins},
		"PUT /api/security/settings":            {Roles: admins, Body: `{"require_2fa":["admin"]}`},
		"DELETE /api/users/{id}/totp":           {Path: "/api/users/5/totp", Roles: admins},
		"GET /api/audit":                        {Path: "/api/audit?action=read", Roles: admins},
		"GET /api/audit.csv":                    {Path: "/api/audit.csv?from=2026-01-01", Roles: admins},
		"POST /api/privacy/erase":               {Roles: admins, Body: `{"care_address_id":5}`},
		"GET /security":                         {Roles: admins, Page: true},
		"POST /security/settings":               {Roles: admins, Page: true, Body: "require_2fa=admin", ContentType: "application/x-www-form-urlencoded"},
		"POST /security/erase":                  {Roles: admins, Page: true, Body: "care_address_id=5&confirm=5", ContentType: "application/x-www-form-urlencoded"},
		"POST /api/requests/{id}/approve-visit": {Path: "/api/requests/5/approve-visit", Roles: []dispatch.Role{dispatch.RoleDispatcher}},
	} {
		routeTable[k] = v
	}
}

var _ = http.StatusOK
