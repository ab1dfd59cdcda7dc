package main

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRegistryConflict: an admin edits an organisation in the
// registry page while someone else saves the same organisation. Saving
// does not overwrite the other change silently: the page says the record
// was changed by someone else and offers to reload (take theirs) or to
// overwrite (save mine over it), and both do what they say.
func TestBrowserRegistryConflict(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: needs Chromium and PostGIS and builds the binary")
	}
	br := newBrowser(t)
	st := newStack(t)
	srv := startInstance(t, st.bin, st.env)
	base := srv.url
	api := login(t, base, "admin", "admin-demo")
	type org struct {
		ID      int64  `json:"id"`
		Version int64  `json:"version"`
		Name    string `json:"name"`
		Kind    string `json:"kind"`
		Phone   string `json:"phone"`
	}
	var list []org
	api.do("GET", "/api/organisations?limit=1", nil, nil, http.StatusOK, &list)
	if len(list) == 0 {
		t.Fatal("no organisations in the demo")
	}
	id := list[0].ID
	first := func() org {
		var all []org
		api.do("GET", "/api/organisations?limit=500", nil, nil, http.StatusOK, &all)
		for _, o := range all {
			if o.ID == id {
				return o
			}
		}
		t.Fatalf("organisation %d is gone", id)
		return org{}
	}
	// saveElsewhere is the other admin's save of the first organisation.
	saveElsewhere := func(phone string) org {
		o := first()
		var out org
		api.do("PUT", fmt.Sprintf("/api/organisations/%d", o.ID), map[string]any{"name": o.Name, "kind": o.Kind, "phone": phone},
			map[string]string{"If-Match": `"` + strconv.FormatInt(o.Version, 10) + `"`}, http.StatusOK, &out)
		return out
	}

	tab := br.newTab("admin")
	tab.loginForm(base, "admin", "admin-demo")
	// open opens the organisation's editor from the registry's list.
	open := func() {
		name := first().Name
		row := fmt.Sprintf(`Array.from(document.querySelectorAll("#panel-organisations tbody tr")).find(tr => tr.cells[0] && tr.cells[0].textContent === %q)`, name)
		tab.do("open the registry", 20*time.Second, chromedp.Navigate(base+"/registry"))
		tab.waitJS("organisations tab", `document.querySelector("#tab-organisations")`, 15*time.Second)
		eval[bool](tab, `document.querySelector("#tab-organisations").click(), true`)
		tab.waitJS("organisation "+name+" listed", row, 15*time.Second)
		eval[bool](tab, row+`.querySelector("button.link").click(), true`)
		tab.waitJS("organisation editor", `!document.querySelector("#form-organisations").hidden`, 10*time.Second)
	}
	setName := func(name string) {
		eval[bool](tab, fmt.Sprintf(`document.querySelector("#form-organisations [name=name]").value = %q, document.querySelector("#save").click(), true`, name))
	}
	conflictShown := `(() => { const c = document.querySelector("#form-conflict"); return c && !c.hidden &&
		/someone else|басқа біреу|кто-то другой/i.test(c.textContent); })()`

	// Reload: the other change wins and the form shows it.
	open()
	theirs := saveElsewhere("+7 700 000 00 77")
	setName("Renamed in the browser")
	tab.waitJS("changed-by-someone-else notice", conflictShown, 10*time.Second)
	if got := first(); got.Name != theirs.Name || got.Phone != theirs.Phone {
		t.Fatalf("after the refused save: %+v, want the other save %+v untouched", got, theirs)
	}
	eval[bool](tab, `document.querySelector("#form-conflict button").click(), true`)
	tab.waitJS("form reloaded with their phone", `document.querySelector("#form-organisations [name=phone]").value === "+7 700 000 00 77"`, 10*time.Second)
	setName("Renamed after reload")
	tab.waitJS("saved", `document.querySelector("#editor").hidden`, 10*time.Second)
	if got := first(); got.Name != "Renamed after reload" || got.Phone != "+7 700 000 00 77" {
		t.Fatalf("after reload and save: %+v, want the new name with their phone", got)
	}

	// Overwrite: mine wins, deliberately.
	open()
	saveElsewhere("+7 700 000 00 88")
	setName("Mine over theirs")
	tab.waitJS("changed-by-someone-else notice", conflictShown, 10*time.Second)
	eval[bool](tab, `document.querySelectorAll("#form-conflict button")[1].click(), true`)
	tab.waitJS("saved", `document.querySelector("#editor").hidden`, 10*time.Second)
	if got := first(); got.Name != "Mine over theirs" || got.Phone != "+7 700 000 00 77" {
		t.Fatalf("after overwrite: %+v, want the browser's form (name and the phone it showed)", got)
	}
	if errs := tab.errorsLogged(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
