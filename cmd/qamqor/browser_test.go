package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath is Debian's chromium, which `make test` installs
// (scripts/browser.sh).
const chromiumPath = "/usr/bin/chromium"

// browser is one headless Chromium; each tab has its own browser context,
// so its own cookie jar and local storage: one per role.
type browser struct {
	t    *testing.T
	ctx  context.Context
	tabs []*tab
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Chromium at %s (apt-get install -y chromium, or run `make test`; `go test -short` skips it): %v", chromiumPath, err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	b := &browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			for _, tb := range b.tabs {
				tb.dumpConsole()
			}
		}
		cancel()
		cancelAlloc()
	})
	start, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	// The first Do starts the browser; it must not run on a context with a
	// deadline (that would end the browser), so the timeout is a watchdog.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("start %s: %v", chromiumPath, err)
		}
	case <-start.Done():
		t.Fatalf("%s did not start in 30 s", chromiumPath)
	}
	return b
}

// tab is one page in its own browser context, with the page's console
// messages and uncaught exceptions kept for failure reports.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

func (b *browser) newTab(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	tb := &tab{t: b.t, name: name, ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m)
			tb.mu.Unlock()
		}
	}()
	b.tabs = append(b.tabs, tb)
	return tb
}

func (tb *tab) dumpConsole() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.console) == 0 {
		tb.t.Logf("%s: page console: empty", tb.name)
		return
	}
	lines := make([]string, len(tb.console))
	for i, m := range tb.console {
		lines[i] = consoleLine(m)
	}
	tb.t.Logf("%s: page console:\n  %s", tb.name, strings.Join(lines, "\n  "))
}

func consoleLine(m chromedp.ConsoleMessage) string {
	return fmt.Sprintf("%s %s %s (%s:%d)", m.Type, m.Source, m.Text, m.URL, m.Line+1)
}

// errorsLogged returns the page's uncaught exceptions and console.error
// calls. The browser's own log entries (failed tile loads without internet,
// refused requests while offline) are expected and left out.
func (tb *tab) errorsLogged() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, m := range tb.console {
		if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
			out = append(out, consoleLine(m))
		}
	}
	return out
}

// do runs the actions with a deadline and fails the test with what was
// being done.
func (tb *tab) do(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true; an exception (the
// page navigating, a hook not there yet) counts as not yet.
// tryJS waits up to timeout for cond and reports whether it came true; it
// never fails the test (for things that depend on the network, such as
// whether map tiles load).
func (tb *tab) tryJS(cond string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func (tb *tab) waitJS(what, cond string, timeout time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: %s: not within %v (waited for %s; last error: %v)", tb.name, what, timeout, cond, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// updateScreenshots refreshes the README's pictures:
// go test ./cmd/qamqor -run TestBrowser -update-screenshots
var updateScreenshots = flag.Bool("update-screenshots", false, "also write docs/screenshots/*.png")

// screenshot saves the viewport as PNG under test-artifacts/ at the repo
// root and, when docs is set and -update-screenshots given, as
// docs/screenshots/<name>.png too.
func (tb *tab) screenshot(name string, docs bool) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	dirs := []string{filepath.Join("..", "..", "test-artifacts")}
	if docs && *updateScreenshots {
		dirs = append(dirs, filepath.Join("..", "..", "docs", "screenshots"))
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
}

// setOffline cuts the tab off the network (requests fail, navigator.onLine
// turns false and the page gets its offline event) or brings it back.
func (tb *tab) setOffline(offline bool) {
	tb.t.Helper()
	tb.do(fmt.Sprintf("set offline=%v", offline), 10*time.Second, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rules := []*network.Conditions{}
		if offline {
			rules = append(rules, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// loginForm logs in through /login as a person would and checks that the
// home page shows the role's menu.
func (tb *tab) loginForm(base, user, pass string) []string {
	tb.t.Helper()
	tb.do("open the login page", 20*time.Second,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pass),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
	)
	tb.waitJS("land on the home page after logging in as "+user,
		`location.pathname === "/" && document.querySelector("ul.menu")`, 15*time.Second)
	return eval[[]string](tb, `Array.from(document.querySelectorAll("ul.menu a")).map(a => a.getAttribute("href"))`)
}

// pressEnter presses Enter as a keyboard does: a key down the page may
// cancel, then the key up. chromedp.KeyEvent("\r") sends a keyDown with its
// text, whose character event Chromium delivers even when the keydown
// handler cancelled it and moved the focus; on the hotline form it would
// land on the kind select and open it.
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBrowser drives the three apps in a real headless Chromium, one
// browser context per role: logins through the form, a hotline request
// filed with the keyboard appearing live on the dispatcher's map, planning
// and publishing from the dispatcher page, and the team lead starting the
// route, marking a stop done while offline and syncing when back online,
// which the dispatcher's map shows without a reload. Screenshots of the
// three apps go to test-artifacts/ and docs/screenshots/.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: needs Chromium and PostGIS and builds the binary")
	}
	began := time.Now()
	br := newBrowser(t)
	st := newStack(t)
	ctx := context.Background()
	srv := startInstance(t, st.bin, st.env)
	base := srv.url
	astana := time.FixedZone("Asia/Astana", 5*3600)
	tomorrow := time.Now().In(astana).AddDate(0, 0, 1).Format(time.DateOnly)

	team1, err := st.db.FindTeamByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	baseLat, baseLon := team1.Base.Lat(), team1.Base.Lon()
	t.Logf("team 1 %q, base %.5f,%.5f; planning %s", team1.Name, baseLat, baseLon, tomorrow)
	defer func() { t.Logf("browser scenario took %v", time.Since(began).Round(time.Millisecond)) }()

	// 1. Every role logs in through the form and sees its own menu.
	hotTab := br.newTab("hotline")
	dispTab := br.newTab("dispatcher")
	leadTab := br.newTab("lead1")
	menus := map[string][]string{
		"hotline":    hotTab.loginForm(base, "hotline", "hotline-demo"),
		"dispatcher": dispTab.loginForm(base, "dispatcher", "dispatcher-demo"),
		"lead1":      leadTab.loginForm(base, "lead1", "lead-demo"),
	}
	for who, want := range map[string]struct{ has, lacks []string }{
		"hotline":    {has: []string{"/hotline"}, lacks: []string{"/dispatch", "/team"}},
		"dispatcher": {has: []string{"/dispatch"}},
		"lead1":      {has: []string{"/team"}, lacks: []string{"/dispatch", "/hotline"}},
	} {
		for _, p := range want.has {
			if !contains(menus[who], p) {
				t.Errorf("%s's menu %v lacks %s", who, menus[who], p)
			}
		}
		for _, p := range want.lacks {
			if contains(menus[who], p) {
				t.Errorf("%s's menu %v offers %s", who, menus[who], p)
			}
		}
	}
	func() {
		c, cancel := context.WithTimeout(hotTab.ctx, 20*time.Second)
		defer cancel()
		resp, err := chromedp.Run(c, chromedp.NavigateResponse(base+"/dispatch"))
		if err != nil {
			t.Fatalf("hotline: open /dispatch: %v", err)
		}
		loc := eval[string](hotTab, `location.pathname`)
		if resp.Status != http.StatusForbidden && loc == "/dispatch" {
			t.Errorf("hotline operator opened /dispatch: status %d at %s, want 403 or a redirect", resp.Status, loc)
		}
	}()

	// 2. The dispatcher watches the map; the hotline files a request through
	// the form and the map shows it without a reload.
	dispTab.do("open /dispatch", 30*time.Second, chromedp.Navigate(base+"/dispatch"))
	dispTab.waitJS("dispatcher map loaded and live", `window.qamqorDispatch && qamqorDispatch.ready() && qamqorDispatch.online()`, 20*time.Second)
	dispTab.do("mark the page", 5*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.__notReloaded = true`)(ctx, tg)
		return err
	}))

	hot := login(t, base, "hotline", "hotline-demo")
	var place struct {
		Label string `json:"label"`
	}
	hot.do("GET", fmt.Sprintf("/api/geocode/reverse?lat=%f&lon=%f", baseLat+0.002, baseLon+0.002), nil, nil, http.StatusOK, &place)
	if place.Label == "" {
		t.Fatalf("no address near team 1's base %.5f,%.5f", baseLat, baseLon)
	}
	query := place.Label
	var cands []struct {
		Label string `json:"label"`
	}
	hot.do("GET", "/api/geocode?limit=10&q="+url.QueryEscape(query), nil, nil, http.StatusOK, &cands)
	if len(cands) == 0 {
		t.Fatalf("the geocoder finds nothing for %q, its own reverse answer", query)
	}
	t.Logf("hotline searches %q", query)

	hotTab.do("open /hotline", 30*time.Second,
		chromedp.Navigate(base+"/hotline"),
		chromedp.WaitVisible(chromedp.ID("search")),
	)
	hotTab.waitJS("hotline map drawn", `document.querySelector("#hotline-map.leaflet-container")`, 10*time.Second)
	hotTab.do("type into the search box", 10*time.Second, chromedp.SendKeys(chromedp.ID("search"), query))
	hotTab.waitJS("suggestions shown", `!document.getElementById("suggestions").hidden && document.querySelector("#suggestions li[role=option]")`, 10*time.Second)
	// Down and up again: the first suggestion, chosen with the keyboard.
	hotTab.do("choose a suggestion with the keyboard", 10*time.Second,
		chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowUp), pressEnter())
	hotTab.waitJS("suggestion taken", `document.getElementById("lat").value !== "" && document.getElementById("address").value !== ""`, 5*time.Second)
	if got := eval[string](hotTab, `document.getElementById("address").value`); got != cands[0].Label {
		t.Errorf("address after choosing = %q, want the first suggestion %q", got, cands[0].Label)
	}
	hotTab.waitJS("pin on the map", `document.querySelector("#hotline-map .leaflet-marker-icon")`, 5*time.Second)
	hotTab.do("set kind and priority", 5*time.Second,
		chromedp.SetValue(chromedp.ID("kind"), "snow_clearing"),
		chromedp.SetValue(chromedp.ID("priority"), "urgent"),
	)
	// Without internet the tiles fail and our own roads are drawn instead;
	// give them a moment so the screenshot shows where the pin is.
	hotTab.tryJS(`document.querySelectorAll("#hotline-map .leaflet-overlay-pane path").length > 20`, 5*time.Second)
	hotTab.screenshot("hotline", true)
	hotTab.do("submit", 10*time.Second, chromedp.Click(chromedp.ID("submit")))
	hotTab.waitJS("confirmation shown", `!document.getElementById("confirmation").hidden && document.getElementById("request-number").textContent !== ""`, 15*time.Second)
	numText := eval[string](hotTab, `document.getElementById("request-number").textContent`)
	reqID, err := strconv.ParseInt(strings.TrimSpace(numText), 10, 64)
	if err != nil {
		t.Fatalf("request number %q: %v", numText, err)
	}
	hotTab.screenshot("hotline-confirmation", false)
	dispTab.waitJS(fmt.Sprintf("request %d on the dispatcher's map", reqID),
		fmt.Sprintf(`qamqorDispatch.requestIds().indexOf(%d) >= 0`, reqID), 10*time.Second)

	// More requests right by team 1's base, through the API. Other teams'
	// bases are close by and the planner spreads the work, so team 1 gets
	// at least one of them.
	for i, d := range [][2]float64{{0.001, -0.001}, {-0.001, 0.0015}, {-0.0015, -0.001}, {0.0015, 0.001}, {0, -0.002}, {0.002, 0}} {
		body := map[string]any{"kind": "snow_clearing", "priority": "high", "force": true,
			"address": fmt.Sprintf("Browser test %d", i+1), "lat": baseLat + d[0], "lon": baseLon + d[1]}
		hot.do("POST", "/api/requests", body, map[string]string{"Idempotency-Key": fmt.Sprintf("browser-%d", i)}, http.StatusCreated, nil)
	}

	// 3. Plan tomorrow and publish from the dispatcher page.
	dispTab.do("start planning tomorrow", 10*time.Second,
		chromedp.Click(chromedp.CSS(`#box-plan > summary`)),
		chromedp.WaitVisible(chromedp.ID("plan-day")),
		chromedp.SetValue(chromedp.ID("plan-day"), tomorrow),
		chromedp.Click(chromedp.CSS(`#plan-form button[type=submit]`)),
	)
	dispTab.waitJS("draft routes ready to publish",
		`document.querySelector("#routes .badge.draft") && !document.getElementById("publish").disabled`, 60*time.Second)
	disp := login(t, base, "dispatcher", "dispatcher-demo")
	type stopJSON struct {
		ID        int64  `json:"id"`
		RequestID int64  `json:"request_id"`
		Status    string `json:"status"`
	}
	type routeJSON struct {
		ID     int64      `json:"id"`
		TeamID int64      `json:"team_id"`
		Status string     `json:"status"`
		Stops  []stopJSON `json:"stops"`
	}
	var drafts []routeJSON
	disp.do("GET", "/api/routes?day="+tomorrow+"&status=draft", nil, nil, http.StatusOK, &drafts)
	var route routeJSON
	var teams []int64
	for _, r := range drafts {
		teams = append(teams, r.TeamID)
		if r.TeamID == 1 {
			route = r
		}
	}
	if route.ID == 0 || len(route.Stops) == 0 {
		t.Fatalf("the plan gave team 1 no stops; drafts for teams %v", teams)
	}
	t.Logf("team 1's draft route %d has %d stops; drafts for teams %v", route.ID, len(route.Stops), teams)
	dispTab.do("publish", 10*time.Second, chromedp.Click(chromedp.ID("publish")))
	dispTab.waitJS("routes published", fmt.Sprintf(
		`!document.querySelector("#routes .badge.draft") && document.querySelector('#routes li[data-route-id="%d"] .badge.published')`, route.ID), 15*time.Second)

	// 4. The team lead opens tomorrow's route on a phone, starts it, marks
	// a stop done offline, and it syncs when the phone is back online.
	leadTab.do("phone viewport and /team", 30*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/team?day="+tomorrow),
	)
	leadTab.waitJS("route with its stops and the roster", fmt.Sprintf(
		`document.querySelectorAll("#stops li.stop").length === %d && !document.getElementById("roster").hidden && document.querySelector("#roster-list input[type=checkbox]")`,
		len(route.Stops)), 15*time.Second)
	// The page may re-render the route right after it loads (a refresh or a
	// live event), so the roster is ticked and the route started in one step
	// rather than by node ids that a re-render replaces.
	leadTab.waitJS("tick the roster and start", `(function () {
		var box = document.querySelector("#roster-list input[type=checkbox]"), start = document.getElementById("start-route");
		if (!box || !start) return false;
		if (!box.checked) box.click();
		start.click();
		return true;
	})()`, 10*time.Second)
	// The route is for another day: the phone warns before starting it and
	// starts it only when the lead confirms.
	leadTab.waitJS("warning before starting another day's route", `!document.getElementById("start-early").hidden && document.activeElement === document.getElementById("start-early-no")`, 10*time.Second)
	leadTab.do("confirm the early start", 10*time.Second, chromedp.Click(chromedp.ID("start-early-yes")))
	leadTab.waitJS("route started and sent", `qamqorTeam.unsent() === 0 && document.getElementById("roster").hidden && document.querySelector("#stops [data-action=done]")`, 15*time.Second)
	var started routeJSON
	disp.do("GET", fmt.Sprintf("/api/routes/%d", route.ID), nil, nil, http.StatusOK, &started)
	if started.Status != "in_progress" {
		t.Fatalf("route %d after start: status %q, want in_progress", route.ID, started.Status)
	}
	stopID := eval[int64](leadTab, `Number(document.querySelector("#stops li.stop").getAttribute("data-stop-id"))`)

	leadTab.setOffline(true)
	leadTab.waitJS("offline noticed", `navigator.onLine === false`, 5*time.Second)
	// Going offline re-renders the route (the phone tries to refresh it), so
	// the button is found and clicked in one step rather than by node id.
	leadTab.waitJS("mark the first stop done", fmt.Sprintf(
		`(function () { var b = document.querySelector("#stop-%d [data-action=done]"); if (!b) return false; b.click(); return true; })()`,
		stopID), 10*time.Second)
	leadTab.waitJS("done kept on the phone", fmt.Sprintf(
		`qamqorTeam.unsent() === 1 && document.getElementById("unsent-count").textContent.trim() === "1" && !document.getElementById("unsent-toggle").hidden && document.getElementById("stop-%d").getAttribute("data-status") === "done"`,
		stopID), 5*time.Second)
	leadTab.waitJS("offline banner shown", `!document.getElementById("offline-banner").hidden`, 10*time.Second)
	leadTab.screenshot("team-offline", false)
	var still routeJSON
	disp.do("GET", fmt.Sprintf("/api/routes/%d", route.ID), nil, nil, http.StatusOK, &still)
	for _, s := range still.Stops {
		if s.ID == stopID && s.Status != "pending" {
			t.Fatalf("stop %d reached the server while the phone was offline: %s", stopID, s.Status)
		}
	}

	leadTab.setOffline(false)
	leadTab.waitJS("outbox sent after reconnecting", `qamqorTeam.unsent() === 0 && document.getElementById("offline-banner").hidden`, 20*time.Second)
	total := len(route.Stops)
	dispTab.waitJS("the dispatcher's map shows the stop done", fmt.Sprintf(
		`(document.querySelector('#routes li[data-route-id="%d"] .route-head') || {textContent: ""}).textContent.indexOf("1/%d") >= 0`,
		route.ID, total), 15*time.Second)
	if !eval[bool](dispTab, `window.__notReloaded === true`) {
		t.Error("the dispatcher page reloaded; it must update live")
	}
	var after routeJSON
	disp.do("GET", fmt.Sprintf("/api/routes/%d", route.ID), nil, nil, http.StatusOK, &after)
	for _, s := range after.Stops {
		if s.ID == stopID && s.Status != "done" {
			t.Errorf("stop %d on the server: %s, want done", stopID, s.Status)
		}
	}

	// 5. Screenshots of the dispatcher's map and the team page.
	leadTab.waitJS("team page settled", fmt.Sprintf(`document.getElementById("stop-%d").getAttribute("data-status") === "done"`, stopID), 5*time.Second)
	leadTab.do("scroll to the top", 5*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.scrollTo(0, 0), true`)(ctx, tg)
		return err
	}))
	leadTab.screenshot("team", true)
	dispTab.do("show the team's route", 10*time.Second,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#routes li[data-route-id="%d"] .name`, route.ID))))
	time.Sleep(500 * time.Millisecond) // markers and the route list settle
	dispTab.screenshot("dispatch", true)

	// Logging out clears the team's work kept on the phone (personal data
	// of pensioners must not stay on a shared or lost phone).
	if n := eval[float64](leadTab, `Object.keys(localStorage).filter(k => k.startsWith("qamqor.team.")).length`); n == 0 {
		t.Fatal("team page kept nothing in localStorage; the logout check below would prove nothing")
	}
	leadTab.do("log out", 10*time.Second, chromedp.Click(chromedp.CSS(`form.logout button`)))
	leadTab.waitJS("back on the login page", `location.pathname === "/login"`, 10*time.Second)
	leadTab.waitJS("team data cleared", `Object.keys(localStorage).filter(k => k.startsWith("qamqor.team.")).length === 0`, 5*time.Second)

	for _, tb := range br.tabs {
		if errs := tb.errorsLogged(); len(errs) > 0 {
			t.Errorf("%s: console errors:\n  %s", tb.name, strings.Join(errs, "\n  "))
		}
	}
}
