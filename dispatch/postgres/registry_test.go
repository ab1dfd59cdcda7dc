package postgres_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

func TestRegistry(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	admin := mustUser(t, db, "admin", dispatch.RoleAdmin)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	hot := mustUser(t, db, "hot", dispatch.RoleHotline)

	org := &dispatch.Organisation{Name: "Жастар", Kind: "volunteer_org"}
	if err := db.SaveOrganisation(ctx, disp, org); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Fatalf("dispatcher SaveOrganisation code=%q, want forbidden", dispatch.ErrorCode(err))
	}
	if err := db.SaveOrganisation(ctx, admin, &dispatch.Organisation{Name: "X", Kind: "club"}); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Fatalf("bad kind code=%q, want invalid", dispatch.ErrorCode(err))
	}
	if err := db.SaveOrganisation(ctx, admin, org); err != nil || org.ID == 0 {
		t.Fatalf("SaveOrganisation: %v", err)
	}
	lead := &dispatch.Volunteer{FullName: "Серик Ахметов", BirthYear: 1990, Languages: []string{"kk", "ru"}, OrganisationID: org.ID, Active: true}
	kid := &dispatch.Volunteer{FullName: "Айгерим Садыкова", BirthYear: 2010, Languages: []string{"kk"}, OrganisationID: org.ID, Active: true}
	for _, v := range []*dispatch.Volunteer{lead, kid} {
		if err := db.SaveVolunteer(ctx, admin, v); err != nil {
			t.Fatalf("SaveVolunteer: %v", err)
		}
	}
	if err := db.SaveVolunteer(ctx, admin, &dispatch.Volunteer{FullName: "Baby", BirthYear: 2024, OrganisationID: org.ID}); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Fatalf("too young code=%q, want invalid", dispatch.ErrorCode(err))
	}
	team := &dispatch.Team{Name: "Team A", OrganisationID: org.ID, LeadVolunteerID: &lead.ID, MemberIDs: []int64{kid.ID},
		Base: orb.Point{71.43, 51.15}, CapacityPackages: 8, Skills: []string{"shovels"}, Active: true}
	if err := db.SaveTeam(ctx, admin, team); err != nil {
		t.Fatalf("SaveTeam: %v", err)
	}
	got, err := db.FindTeamByID(ctx, team.ID)
	if err != nil || len(got.MemberIDs) != 2 || got.ShiftStart != "09:00" || got.Base != team.Base {
		t.Fatalf("FindTeamByID=%+v err=%v, want lead added as member and default shift", got, err)
	}
	team.ShiftEnd = "08:00"
	if err := db.SaveTeam(ctx, admin, team); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Fatalf("shift end before start code=%q, want invalid", dispatch.ErrorCode(err))
	}

	c := &dispatch.CareAddress{FullName: "Иванова Мария", Phone: "+7 700 000 11 22", AddressText: "Кенесары 40", Flat: "5",
		Location: orb.Point{71.44, 51.17}, Needs: []string{"snow"}, Consent: true, Active: true}
	if err := db.SaveCareAddress(ctx, disp, c); err != nil {
		t.Fatal(err)
	}
	c.Active = false
	if err := db.SaveCareAddress(ctx, disp, c); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCareAddress(ctx, hot, c); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Fatalf("hotline edit code=%q, want forbidden", dispatch.ErrorCode(err))
	}
	list, total, err := db.FindCareAddresses(ctx, disp, dispatch.Page{Q: "0001122"})
	if err != nil || total != 1 || list[0].Phone != c.Phone {
		t.Fatalf("search by phone digits: %v total=%d err=%v", list, total, err)
	}
	entries, err := db.AuditEntries(ctx, c.ID)
	if err != nil || len(entries) != 3 || entries[0].Action != dispatch.AuditRead || entries[1].Detail != "care address deactivated" {
		t.Fatalf("audit=%+v err=%v, want create, update(deactivate), read", entries, err)
	}
}
