package dispatch

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

func astana(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, cityZone)
	if err != nil {
		panic(err)
	}
	return t
}

func att(route int64, in, out time.Time, confirmed bool) Attendance {
	return Attendance{RouteID: route, CheckIn: in, CheckOut: &out, Confirmed: confirmed}
}

func rng(t *testing.T, from, to string) ReportRange {
	t.Helper()
	r, err := ParseReportRange(from, to, astana("2026-02-01", "12:00"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifiedHours(t *testing.T) {
	d := "2026-01-12"
	for _, tc := range []struct {
		name string
		rows []Attendance
		from string
		to   string
		want int64
	}{
		{"Single", []Attendance{att(1, astana(d, "09:00"), astana(d, "11:30"), true)}, d, d, 9000},
		{"OverlapCountsOnce", []Attendance{
			att(1, astana(d, "09:00"), astana(d, "12:00"), true),
			att(2, astana(d, "11:00"), astana(d, "13:00"), true)}, d, d, 4 * 3600},
		{"ContainedCountsOnce", []Attendance{
			att(1, astana(d, "09:00"), astana(d, "13:00"), true),
			att(2, astana(d, "10:00"), astana(d, "11:00"), true)}, d, d, 4 * 3600},
		{"TouchingJoin", []Attendance{
			att(1, astana(d, "09:00"), astana(d, "10:00"), true),
			att(2, astana(d, "10:00"), astana(d, "11:00"), true)}, d, d, 2 * 3600},
		{"Unconfirmed", []Attendance{att(1, astana(d, "09:00"), astana(d, "11:00"), false)}, d, d, 0},
		{"NotCheckedOut", []Attendance{{RouteID: 1, CheckIn: astana(d, "09:00"), Confirmed: true}}, d, d, 0},
		{"CappedPerDay", []Attendance{att(1, astana(d, "06:00"), astana(d, "23:00"), true)}, d, d, int64(MaxHoursPerDay / time.Second)},
		{"SplitAtAstanaMidnight", []Attendance{att(1, astana(d, "22:00"), astana("2026-01-13", "03:00"), true)}, "2026-01-13", "2026-01-13", 3 * 3600},
		{"OutsideRange", []Attendance{att(1, astana("2026-01-11", "09:00"), astana("2026-01-11", "11:00"), true)}, d, d, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := VerifiedHours(tc.rows, rng(t, tc.from, tc.to))
			if got != tc.want {
				t.Errorf("VerifiedHours=%d, want %d", got, tc.want)
			}
		})
	}
	t.Run("ClippedToRoute", func(t *testing.T) {
		start, finish := astana(d, "10:00"), astana(d, "11:00")
		a := att(1, astana(d, "09:00"), astana(d, "12:00"), true)
		a.RouteStartedAt, a.RouteFinishedAt = &start, &finish
		if got, _ := VerifiedHours([]Attendance{a}, rng(t, d, d)); got != 3600 {
			t.Errorf("VerifiedHours=%d, want 3600 (clipped to the route)", got)
		}
	})
}

func TestCountVisits(t *testing.T) {
	d := "2026-01-12"
	rows := []Attendance{att(1, astana(d, "09:00"), astana(d, "10:30"), true), att(2, astana(d, "09:00"), astana(d, "12:00"), false)}
	stops := []DoneStop{
		{StopID: 1, RouteID: 1, DoneAt: astana(d, "09:30")},
		{StopID: 1, RouteID: 1, DoneAt: astana(d, "09:30")}, // the same stop twice
		{StopID: 2, RouteID: 1, DoneAt: astana(d, "11:00")}, // after the volunteer left
		{StopID: 3, RouteID: 2, DoneAt: astana(d, "10:00")}, // unconfirmed route
		{StopID: 4, RouteID: 9, DoneAt: astana(d, "10:00")}, // not their route
	}
	if got := CountVisits(rows, stops, rng(t, d, d)); got != 1 {
		t.Errorf("CountVisits=%d, want 1", got)
	}
}

func TestFormatHours(t *testing.T) {
	for sec, want := range map[int64]string{0: "0.00", 3600: "1.00", 45000: "12.50", 60: "0.02", 17: "0.00", 18: "0.01", 72000: "20.00"} {
		if got := FormatHours(sec); got != want {
			t.Errorf("FormatHours(%d)=%s, want %s", sec, got, want)
		}
	}
}

func TestCertificateSignature(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := key.Public().(ed25519.PublicKey)
	c := &Certificate{Code: "7K3M-Q9XD-2HTP", VolunteerID: 3, OrganisationID: 2, VolunteerName: "Айгерім", OrganisationName: "Jas",
		From: "2026-01-01", To: "2026-01-31", Seconds: 45000, Visits: 17, IssuedAt: astana("2026-02-01", "09:00"), KeyID: 1}
	c.Sign(key)
	if c.Status(pub) != CertificateValid {
		t.Fatal("a freshly signed certificate does not verify")
	}
	for name, tamper := range map[string]func(c *Certificate){
		"Seconds": func(c *Certificate) { c.Seconds++ },
		"Visits":  func(c *Certificate) { c.Visits = 18 },
		"Name":    func(c *Certificate) { c.VolunteerName = "Someone" },
		"Period":  func(c *Certificate) { c.To = "2026-02-28" },
		"Newline": func(c *Certificate) { c.VolunteerName = "Айгерім\nseconds=99999" },
		"Key":     func(c *Certificate) { c.KeyID = 2 },
	} {
		cp := *c
		tamper(&cp)
		if cp.Status(pub) != CertificateTampered {
			t.Errorf("%s changed: status %s, want invalid", name, cp.Status(pub))
		}
	}
	other := ed25519.NewKeyFromSeed([]byte(strings.Repeat("x", 32))).Public().(ed25519.PublicKey)
	if c.Status(other) != CertificateTampered {
		t.Error("verifies under another key")
	}
	now := time.Now()
	c.RevokedAt = &now
	if c.Status(pub) != CertificateRevoked {
		t.Error("revoked certificate not reported as revoked")
	}
}

func TestCertificateCode(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c, err := NewCertificateCode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NormalizeCertificateCode(strings.ToLower(c)); err != nil {
			t.Fatalf("code %s does not normalise: %v", c, err)
		}
		if seen[c] {
			t.Fatalf("duplicate code %s", c)
		}
		seen[c] = true
	}
	for _, bad := range []string{"", "7K3M-Q9XD", "7K3M-Q9XD-2HTO", "7K3MQ9XD2HTP00", "7K3M_Q9XD_2HTP"} {
		if _, err := NormalizeCertificateCode(bad); ErrorCode(err) != EINVALID {
			t.Errorf("NormalizeCertificateCode(%q) err=%v, want invalid", bad, err)
		}
	}
}

func TestApplicationRules(t *testing.T) {
	now := astana("2026-12-06", "12:00")
	adult := func() ApplicationInput {
		return ApplicationInput{OrganisationID: 2, FullName: "  Dana   Serik ", BirthDate: "2000-05-01", Phone: "+7 701 234 5678", Consent: true}
	}
	t.Run("Adult", func(t *testing.T) {
		in := adult()
		in.GuardianName = "should be dropped"
		if err := in.Normalize(now); err != nil {
			t.Fatal(err)
		}
		if in.FullName != "Dana Serik" || in.GuardianName != "" {
			t.Errorf("FullName=%q GuardianName=%q", in.FullName, in.GuardianName)
		}
	})
	for _, tc := range []struct {
		name  string
		edit  func(*ApplicationInput)
		field string
	}{
		{"NoOrganisation", func(in *ApplicationInput) { in.OrganisationID = 0 }, "organisation_id"},
		{"NoName", func(in *ApplicationInput) { in.FullName = " " }, "full_name"},
		{"BadPhone", func(in *ApplicationInput) { in.Phone = "12345" }, "phone"},
		{"LettersInPhone", func(in *ApplicationInput) { in.Phone = "+7 701 CALL ME" }, "phone"},
		{"TooYoung", func(in *ApplicationInput) { in.BirthDate = "2016-01-01" }, "birth_date"},
		{"BadDate", func(in *ApplicationInput) { in.BirthDate = "01.05.2000" }, "birth_date"},
		{"NoConsent", func(in *ApplicationInput) { in.Consent = false }, "consent"},
		// 17 years and 364 days old on the 6th: still a minor.
		{"MinorNoGuardian", func(in *ApplicationInput) { in.BirthDate = "2008-12-07" }, "guardian_name"},
		{"MinorNoGuardianPhone", func(in *ApplicationInput) { in.BirthDate = "2010-01-01"; in.GuardianName = "Aigul" }, "guardian_phone"},
		{"MinorNoConsent", func(in *ApplicationInput) {
			in.BirthDate = "2010-01-01"
			in.GuardianName, in.GuardianPhone = "Aigul", "+7 701 000 0000"
		}, "guardian_consent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := adult()
			tc.edit(&in)
			err := in.Normalize(now)
			var e *Error
			if ErrorCode(err) != EINVALID || !errors.As(err, &e) || e.Field != tc.field {
				t.Errorf("err=%v, want invalid %s", err, tc.field)
			}
		})
	}
	t.Run("EighteenToday", func(t *testing.T) {
		in := adult()
		in.BirthDate = "2008-12-06"
		if err := in.Normalize(now); err != nil {
			t.Errorf("18 today needs no guardian: %v", err)
		}
	})
	t.Run("MinorWithGuardian", func(t *testing.T) {
		in := adult()
		in.BirthDate = "2011-03-01"
		in.GuardianName, in.GuardianPhone, in.GuardianConsent = "Aigul Serik", "+7 701 000 0000", true
		if err := in.Normalize(now); err != nil {
			t.Errorf("err=%v", err)
		}
	})
}

func TestCoordinatorScope(t *testing.T) {
	org, other := int64(2), int64(3)
	coord := &User{Role: RoleCoordinator, OrganisationID: &org, Active: true}
	admin := &User{Role: RoleAdmin, Active: true}
	disp := &User{Role: RoleDispatcher, Active: true}
	if s := OrgScope(coord); s == nil || *s != org {
		t.Errorf("OrgScope(coord)=%v, want %d", s, org)
	}
	if OrgScope(admin) != nil {
		t.Error("admin is scoped")
	}
	for name, err := range map[string]error{
		"people other org":       RequireOrgPeople(coord, other),
		"certificate other org":  RequireOrg(coord, ActIssueCertificates, other),
		"confirm other org":      RequireAttendanceConfirm(coord, other),
		"team view other org":    RequireOrgTeamView(coord, 7, other),
		"coordinator personal":   Require(coord, ActViewPersonal),
		"coordinator plan":       Require(coord, ActPlan),
		"dispatcher certificate": Require(disp, ActIssueCertificates),
	} {
		if ErrorCode(err) != EFORBIDDEN {
			t.Errorf("%s: err=%v, want forbidden", name, err)
		}
	}
	for name, err := range map[string]error{
		"people own org":        RequireOrgPeople(coord, org),
		"admin people any org":  RequireOrgPeople(admin, other),
		"confirm own org":       RequireAttendanceConfirm(coord, org),
		"dispatcher confirm":    RequireAttendanceConfirm(disp, other),
		"team view own org":     RequireOrgTeamView(coord, 7, org),
		"admin certificate any": RequireOrg(admin, ActIssueCertificates, other),
	} {
		if err != nil {
			t.Errorf("%s: err=%v, want nil", name, err)
		}
	}
	noOrg := &User{Role: RoleCoordinator, Active: true}
	if RequireOrgPeople(noOrg, org) == nil {
		t.Error("a coordinator without an organisation passes")
	}
	if err := (&User{Username: "c1", Role: RoleCoordinator}).Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("coordinator without organisation validates: %v", err)
	}
}
