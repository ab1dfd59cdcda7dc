package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

func TestUserAdmin(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	admin := &dispatch.User{Username: "boss", FullName: "Boss", Role: dispatch.RoleAdmin}
	if err := db.CreateUser(ctx, admin, "boss-password"); err != nil {
		t.Fatal(err)
	}
	org := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Org', 'ngo') RETURNING id`)
	team := mustExecTeam(t, db, org, "Team", 10)

	op := &dispatch.User{Username: "Operator1", FullName: "Op", Role: dispatch.RoleHotline, Active: true}
	t.Run("Create", func(t *testing.T) {
		if err := db.SaveUser(ctx, admin, op, "op-password"); err != nil {
			t.Fatal(err)
		}
		if op.ID == 0 || op.Username != "operator1" {
			t.Fatalf("user=%+v, want an id and a lower-cased username", op)
		}
		if _, err := db.Authenticate(ctx, "operator1", "op-password"); err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		dup := &dispatch.User{Username: "operator1", Role: dispatch.RoleHotline, Active: true}
		if err := db.SaveUser(ctx, admin, dup, "op-password"); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Fatalf("err=%v, want conflict", err)
		}
	})
	t.Run("TeamLeadNeedsTeam", func(t *testing.T) {
		op.Role = dispatch.RoleTeamLead
		if err := db.SaveUser(ctx, admin, op, ""); dispatch.ErrorCode(err) != dispatch.EINVALID {
			t.Fatalf("err=%v, want invalid", err)
		}
		op.TeamID = &team
		if err := db.SaveUser(ctx, admin, op, ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("DeactivateEndsSessions", func(t *testing.T) {
		token, _, err := db.CreateSession(ctx, op.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		op.Active = false
		if err := db.SaveUser(ctx, admin, op, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindSession(ctx, token); dispatch.ErrorCode(err) != dispatch.EUNAUTHORIZED {
			t.Fatalf("FindSession err=%v, want unauthorized", err)
		}
		if _, err := db.Authenticate(ctx, "operator1", "op-password"); err == nil {
			t.Fatal("a deactivated user logged in")
		}
	})
	t.Run("ResetPassword", func(t *testing.T) {
		op.Active = true
		if err := db.SaveUser(ctx, admin, op, "new-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Authenticate(ctx, "operator1", "new-password"); err != nil {
			t.Fatalf("Authenticate with the new password: %v", err)
		}
		if _, err := db.Authenticate(ctx, "operator1", "op-password"); err == nil {
			t.Fatal("the old password still works")
		}
	})
	t.Run("NotSelf", func(t *testing.T) {
		me := *admin
		me.Active = false
		if err := db.SaveUser(ctx, admin, &me, ""); dispatch.ErrorCode(err) != dispatch.EINVALID {
			t.Fatalf("err=%v, want invalid", err)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		disp := &dispatch.User{ID: 99, Role: dispatch.RoleDispatcher, Active: true}
		if _, _, err := db.FindUsers(ctx, disp, dispatch.Page{}); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
			t.Fatalf("err=%v, want forbidden", err)
		}
	})
	t.Run("Find", func(t *testing.T) {
		us, total, err := db.FindUsers(ctx, admin, dispatch.Page{Q: "oper"})
		if err != nil || total != 1 || len(us) != 1 || us[0].TeamID == nil || *us[0].TeamID != team {
			t.Fatalf("users=%v total=%d err=%v, want operator1 with its team", us, total, err)
		}
	})
}
