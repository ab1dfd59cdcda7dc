package dispatch

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestCareAddressValidate(t *testing.T) {
	ok := func() CareAddress {
		return CareAddress{FullName: " Ахметова Сауле ", AddressText: "Kenesary 40", Location: orb.Point{71.43, 51.13},
			Phone: " +7 701 111 22 33 ", Flat: " 12 ", Needs: []string{NeedSnow}}
	}
	c := ok()
	if err := c.Validate(AstanaArea); err != nil {
		t.Fatal(err)
	}
	if c.FullName != "Ахметова Сауле" || c.Phone != "+7 701 111 22 33" || c.Flat != "12" || c.PreferredLanguage != "ru" {
		t.Errorf("normalised=%+v, want trimmed fields and ru by default", c)
	}
	for name, tc := range map[string]struct {
		change func(*CareAddress)
		field  string
	}{
		"NoName":        {func(c *CareAddress) { c.FullName = "  " }, "full_name"},
		"NoAddress":     {func(c *CareAddress) { c.AddressText = "" }, "address"},
		"OutsideAstana": {func(c *CareAddress) { c.Location = orb.Point{76.9, 43.2} }, "lat"},
		"Language":      {func(c *CareAddress) { c.PreferredLanguage = "de" }, "preferred_language"},
		"LongFlat":      {func(c *CareAddress) { c.Flat = strings.Repeat("9", 21) }, "phone"},
		"LongPhone":     {func(c *CareAddress) { c.Phone = strings.Repeat("1", 41) }, "phone"},
		"Need":          {func(c *CareAddress) { c.Needs = []string{"cash"} }, "needs"},
		"LongNotes":     {func(c *CareAddress) { c.AccessNotes = strings.Repeat("x", 1001) }, "access_notes"},
	} {
		c := ok()
		tc.change(&c)
		err := c.Validate(AstanaArea)
		if e, isErr := err.(*Error); !isErr || e.Code != EINVALID || e.Field != tc.field {
			t.Errorf("%s: err=%v, want EINVALID on %s", name, err, tc.field)
		}
	}
}

func TestCheckFinish(t *testing.T) {
	live := &Route{ID: 4, Status: RouteInProgress}
	stops := func(st ...StopStatus) []Stop {
		var out []Stop
		for i, s := range st {
			out = append(out, Stop{ID: int64(i + 1), Status: s})
		}
		return out
	}
	if rm, err := CheckFinish(live, stops(StopDone, StopNotHome), false); err != nil || len(rm) != 0 {
		t.Errorf("all visited: remove=%v err=%v, want a plain finish", rm, err)
	}
	if _, err := CheckFinish(live, stops(StopDone, StopPending), false); ErrorCode(err) != ECONFLICT {
		t.Errorf("pending without force: code=%q, want conflict", ErrorCode(err))
	}
	if rm, err := CheckFinish(live, stops(StopDone, StopPending, StopPending), true); err != nil || len(rm) != 2 || rm[0].ID != 2 {
		t.Errorf("forced: remove=%v err=%v, want stops 2 and 3 removed", rm, err)
	}
	_, err := CheckFinish(live, stops(StopArrived, StopPending), true)
	if e, ok := err.(*Error); !ok || e.Code != ECONFLICT || e.Detail["stop_id"] != int64(1) {
		t.Errorf("arrived, forced: err=%v, want conflict naming stop 1", err)
	}
	for _, st := range []RouteStatus{RouteDraft, RoutePublished, RouteFinished, RouteCancelled} {
		if _, err := CheckFinish(&Route{ID: 4, Status: st}, nil, true); ErrorCode(err) != ECONFLICT {
			t.Errorf("route %s: code=%q, want conflict", st, ErrorCode(err))
		}
	}
}
