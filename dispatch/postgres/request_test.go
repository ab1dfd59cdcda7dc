package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

func f64(v float64) *float64 { return &v }

// mustUser creates a user of the role and returns it.
func mustUser(tb testing.TB, db *postgres.DB, name string, role dispatch.Role) *dispatch.User {
	tb.Helper()
	u := &dispatch.User{Username: name, FullName: name, Role: role}
	if err := db.CreateUser(context.Background(), u, "password-"+name); err != nil {
		tb.Fatalf("CreateUser: %v", err)
	}
	return u
}

func mustCare(tb testing.TB, db *postgres.DB, actor *dispatch.User, name, phone string, pt orb.Point) *dispatch.CareAddress {
	tb.Helper()
	c := &dispatch.CareAddress{FullName: name, Phone: phone, AddressText: "улица Кенесары, 40", Flat: "12",
		Location: pt, PreferredLanguage: "kk", Needs: []string{"snow"}, Consent: true, Active: true}
	if err := db.CreateCareAddress(context.Background(), actor, c); err != nil {
		tb.Fatalf("CreateCareAddress: %v", err)
	}
	return c
}

func countRows(tb testing.TB, db *postgres.DB, table string) int {
	tb.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func normalized(tb testing.TB, in dispatch.RequestInput) dispatch.RequestInput {
	tb.Helper()
	if err := in.Normalize(dispatch.AstanaArea); err != nil {
		tb.Fatalf("Normalize: %v", err)
	}
	return in
}

func TestCreateRequest(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	op := mustUser(t, db, "operator", dispatch.RoleHotline)

	t.Run("OK", func(t *testing.T) {
		in := normalized(t, dispatch.RequestInput{Kind: dispatch.SnowClearing, AddressText: "Кенесары 40", Lat: f64(51.1694), Lon: f64(71.4491)})
		r, created, err := db.CreateRequest(ctx, op, in)
		if err != nil || !created {
			t.Fatalf("CreateRequest created=%v err=%v", created, err)
		}
		if r.Status != dispatch.StatusNew || r.Kind != dispatch.SnowClearing || *r.CreatedBy != op.ID {
			t.Fatalf("got %+v", r)
		}
		if got := r.Location; got.Lat() != 51.1694 || got.Lon() != 71.4491 {
			t.Fatalf("Location=%v, want (71.4491 51.1694)", got)
		}
		back, err := db.FindRequestByID(ctx, r.ID)
		if err != nil || back.AddressText != "Кенесары 40" {
			t.Fatalf("FindRequestByID=%+v, %v", back, err)
		}
		var evType string
		if err := db.Pool().QueryRow(ctx, `SELECT type FROM events WHERE entity = 'request' AND entity_id = $1`, r.ID).Scan(&evType); err != nil || evType != dispatch.EventRequestCreated {
			t.Fatalf("event type=%q err=%v, want %q", evType, err, dispatch.EventRequestCreated)
		}
	})

	t.Run("IdempotentRetry", func(t *testing.T) {
		in := normalized(t, dispatch.RequestInput{Kind: dispatch.FoodDelivery, AddressText: "Абая 10", Lat: f64(51.16), Lon: f64(71.42), IdempotencyKey: "k-1"})
		before := countRows(t, db, "requests")
		// The first submission and its retries race: all start together,
		// exactly one creates the request and every one answers with it.
		const n = 6
		type answer struct {
			id      int64
			created bool
			err     error
		}
		answers := make([]answer, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, created, err := db.CreateRequest(ctx, op, in)
				answers[i] = answer{created: created, err: err}
				if r != nil {
					answers[i].id = r.ID
				}
			}()
		}
		close(start)
		wg.Wait()
		creators := 0
		for i, a := range answers {
			if a.err != nil {
				t.Fatalf("submission %d: %v", i, a.err)
			}
			if a.created {
				creators++
			}
			if a.id != answers[0].id {
				t.Fatalf("submission %d got id %d, submission 0 got %d", i, a.id, answers[0].id)
			}
		}
		if creators != 1 {
			t.Fatalf("%d submissions created a request, want exactly 1", creators)
		}
		if after := countRows(t, db, "requests"); after != before+1 {
			t.Fatalf("requests=%d, want %d", after, before+1)
		}
		// The same key with another body: 422 naming the key, nothing written.
		other := in
		other.AddressText = "Абая 12"
		if _, _, err := db.CreateRequest(ctx, op, other); dispatch.ErrorCode(err) != dispatch.EINVALID || !strings.Contains(dispatch.ErrorMessage(err), "k-1") {
			t.Fatalf("reused key, other body: code=%q msg=%q, want invalid naming k-1", dispatch.ErrorCode(err), dispatch.ErrorMessage(err))
		}
		// Keys are per user: another operator's "k-1" is a new request.
		op2 := mustUser(t, db, "op-two", dispatch.RoleHotline)
		other.Force = true // the same yard: not the point here
		r2, created, err := db.CreateRequest(ctx, op2, other)
		if err != nil || !created || r2.ID == answers[0].id {
			t.Fatalf("another user's k-1: created=%v err=%v", created, err)
		}
	})

	t.Run("DuplicateWithin30m", func(t *testing.T) {
		in := normalized(t, dispatch.RequestInput{Kind: dispatch.SnowClearing, AddressText: "Кенесары 40 (сосед)", Lat: f64(51.1695), Lon: f64(71.4492)})
		before := countRows(t, db, "requests")
		_, _, err := db.CreateRequest(ctx, op, in)
		if dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Fatalf("code=%q err=%v, want conflict", dispatch.ErrorCode(err), err)
		}
		if e := err.(*dispatch.Error); e.Detail["duplicate_id"] == nil {
			t.Fatalf("Detail=%v, want duplicate_id", e.Detail)
		}
		if after := countRows(t, db, "requests"); after != before {
			t.Fatalf("requests=%d, want %d (nothing written)", after, before)
		}
		// Another kind at the same place is not a duplicate.
		other := in
		other.Kind = dispatch.OtherKind
		if _, _, err := db.CreateRequest(ctx, op, other); err != nil {
			t.Fatalf("other kind: %v", err)
		}
		in.Force = true
		if _, created, err := db.CreateRequest(ctx, op, in); err != nil || !created {
			t.Fatalf("force: created=%v err=%v", created, err)
		}
	})

	t.Run("FarAwayIsNotDuplicate", func(t *testing.T) {
		in := normalized(t, dispatch.RequestInput{Kind: dispatch.SnowClearing, AddressText: "Кенесары 60", Lat: f64(51.1694), Lon: f64(71.4500)})
		if _, _, err := db.CreateRequest(ctx, op, in); err != nil {
			t.Fatalf("62 m away: %v", err)
		}
	})

	t.Run("DuplicateSameCareAddress", func(t *testing.T) {
		disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
		ca := mustCare(t, db, disp, "Ахметова Гульнар Сериковна", "+7 700 000 12 34", orb.Point{71.40, 51.12})
		in := normalized(t, dispatch.RequestInput{Kind: dispatch.FoodDelivery, CareAddressID: &ca.ID})
		r, _, err := db.CreateRequest(ctx, op, in)
		if err != nil {
			t.Fatalf("first: %v", err)
		}
		if r.AddressText != ca.AddressText || r.Location != ca.Location {
			t.Fatalf("request address=%q at %v, want the care address's", r.AddressText, r.Location)
		}
		// A second call 100 m away but for the same pensioner is a duplicate.
		in2 := normalized(t, dispatch.RequestInput{Kind: dispatch.FoodDelivery, CareAddressID: &ca.ID, AddressText: "x", Lat: f64(51.121), Lon: f64(71.40)})
		if _, _, err := db.CreateRequest(ctx, op, in2); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Fatalf("code=%q, want conflict", dispatch.ErrorCode(err))
		}
		// Once done, a new request is welcome.
		for _, s := range []dispatch.RequestStatus{dispatch.StatusAssigned, dispatch.StatusDone} {
			if _, err := db.SetRequestStatus(ctx, disp, r.ID, s, 0); err != nil {
				t.Fatalf("SetRequestStatus(%s): %v", s, err)
			}
		}
		if _, _, err := db.CreateRequest(ctx, op, in2); err != nil {
			t.Fatalf("after done: %v", err)
		}
	})

	t.Run("UnknownCareAddress", func(t *testing.T) {
		id := int64(999999)
		in := normalized(t, dispatch.RequestInput{Kind: dispatch.FoodDelivery, CareAddressID: &id})
		if _, _, err := db.CreateRequest(ctx, op, in); dispatch.ErrorCode(err) != dispatch.EINVALID {
			t.Fatalf("code=%q, want invalid", dispatch.ErrorCode(err))
		}
	})
}

func TestSetRequestStatus(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	in := normalized(t, dispatch.RequestInput{Kind: dispatch.OtherKind, AddressText: "Сарыарка 5", Lat: f64(51.18), Lon: f64(71.41)})
	r, _, err := db.CreateRequest(ctx, disp, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetRequestStatus(ctx, disp, r.ID, dispatch.StatusDone, 0); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Fatalf("new->done code=%q, want conflict", dispatch.ErrorCode(err))
	}
	got, err := db.SetRequestStatus(ctx, disp, r.ID, dispatch.StatusCancelled, 0)
	if err != nil || got.Status != dispatch.StatusCancelled {
		t.Fatalf("cancel: %v %v", got, err)
	}
	if _, err := db.SetRequestStatus(ctx, disp, 424242, dispatch.StatusCancelled, 0); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("missing code=%q, want not_found", dispatch.ErrorCode(err))
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE type = $1 AND entity_id = $2`, dispatch.EventRequestStatusChanged, r.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("status events=%d err=%v, want 1 (refused transition writes none)", n, err)
	}
	if _, err := db.Pool().Exec(ctx, `DELETE FROM events`); err == nil {
		t.Fatal("deleting events succeeded, want append-only refusal")
	}
	list, total, err := db.FindRequests(ctx, dispatch.RequestFilter{Statuses: []dispatch.RequestStatus{dispatch.StatusCancelled}})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != r.ID {
		t.Fatalf("FindRequests=%v total=%d err=%v", list, total, err)
	}
	b := orb.Bound{Min: orb.Point{71.40, 51.17}, Max: orb.Point{71.42, 51.19}}
	if _, total, err := db.FindRequests(ctx, dispatch.RequestFilter{Bound: &b}); err != nil || total != 1 {
		t.Fatalf("FindRequests(bound) total=%d err=%v, want 1", total, err)
	}
}

func TestAuthAndCareAudit(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	if _, err := db.Authenticate(ctx, "disp", "wrong-password"); dispatch.ErrorCode(err) != dispatch.EUNAUTHORIZED {
		t.Fatalf("wrong password code=%q", dispatch.ErrorCode(err))
	}
	if _, err := db.Authenticate(ctx, "nobody", "password-disp"); dispatch.ErrorCode(err) != dispatch.EUNAUTHORIZED {
		t.Fatalf("unknown user code=%q", dispatch.ErrorCode(err))
	}
	u, err := db.Authenticate(ctx, "disp", "password-disp")
	if err != nil || u.ID != disp.ID || u.Role != dispatch.RoleDispatcher {
		t.Fatalf("Authenticate=%+v, %v", u, err)
	}
	token, s, err := db.CreateSession(ctx, u.ID, 3600e9)
	if err != nil || s.CSRFToken == "" {
		t.Fatalf("CreateSession: %v", err)
	}
	got, err := db.FindSession(ctx, token)
	if err != nil || got.User.ID != u.ID || got.CSRFToken != s.CSRFToken {
		t.Fatalf("FindSession=%+v, %v", got, err)
	}
	if err := db.DeleteSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindSession(ctx, token); dispatch.ErrorCode(err) != dispatch.EUNAUTHORIZED {
		t.Fatalf("after logout code=%q", dispatch.ErrorCode(err))
	}
	var stored []byte
	if err := db.Pool().QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&stored); err != nil || string(stored) == "password-disp" {
		t.Fatalf("password stored in clear or err=%v", err)
	}

	ca := mustCare(t, db, disp, "Иванова Мария Петровна", "+7 700 000 55 66", orb.Point{71.43, 51.15})
	lead := &dispatch.User{ID: 0, Role: dispatch.RoleTeamLead, Active: true}
	red, err := db.FindCareAddressByID(ctx, lead, ca.ID)
	if err != nil || red.FullName != "" || red.Phone != "" || red.Flat != "" {
		t.Fatalf("team lead saw personal data: %+v %v", red, err)
	}
	full, err := db.FindCareAddressByID(ctx, disp, ca.ID)
	if err != nil || full.Phone != "+7 700 000 55 66" {
		t.Fatalf("dispatcher view=%+v %v", full, err)
	}
	entries, err := db.AuditEntries(ctx, ca.ID)
	if err != nil || len(entries) != 2 || entries[0].Action != dispatch.AuditRead || *entries[0].UserID != disp.ID || entries[1].Action != dispatch.AuditCreate {
		t.Fatalf("audit=%+v err=%v, want read by dispatcher then create", entries, err)
	}
}
