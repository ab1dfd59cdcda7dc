package main

// TestBrowserField checks, in real Chromium against real PostGIS, the
// defects issue 11 found in a whole day's work: each subtest is one of them
// and failed before its fix.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// field is what the subtests share: one stack, one server, one browser.
type field struct {
	t    *testing.T
	st   *stack
	base string
	br   *browser
}

// latinWords finds English words in visible text (for kk/ru pages).
var latinWords = regexp.MustCompile(`[A-Za-z]{3,}`)

// setLang makes the tab's pages speak lang (the switcher's storage key and
// cookie) before they load.
func (tb *tab) setLang(base, lang string) {
	tb.t.Helper()
	tb.do("set language "+lang, 20*time.Second,
		chromedp.Navigate(base+"/login"),
		jsAction(fmt.Sprintf(`localStorage.setItem("qamqor.lang", %q), document.cookie = "qamqor_lang=%s; path=/"`, lang, lang)),
	)
}

// run evaluates JavaScript for its effect.
func (tb *tab) run(what, js string) {
	tb.t.Helper()
	tb.do(what, 10*time.Second, jsAction(js))
}

// jsAction evaluates js for its effect.
func jsAction(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool]("("+js+"), true")(ctx, tg)
		return err
	})
}

func TestBrowserField(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: needs Chromium and PostGIS and builds the binary")
	}
	br := newBrowser(t)
	st := newStack(t)
	srv := startInstance(t, st.bin, st.env)
	f := &field{t: t, st: st, base: srv.url, br: br}

	t.Run("HotlineSuggestionClick", f.hotlineSuggestionClick)
	t.Run("HotlineExactHouseFirst", f.hotlineExactHouseFirst)
	t.Run("HotlineErrors", f.hotlineErrors)
	t.Run("HotlineDuplicate", f.hotlineDuplicate)

	for _, tb := range br.tabs {
		if errs := tb.errorsLogged(); len(errs) > 0 {
			t.Errorf("%s: console errors:\n  %s", tb.name, strings.Join(errs, "\n  "))
		}
	}
}

// newTab opens a tab whose failures belong to the subtest t.
func (f *field) newTab(t *testing.T, name string) *tab {
	tb := f.br.newTab(name)
	tb.t = t
	t.Cleanup(func() { tb.t = f.t })
	return tb
}

// openHotline logs a hotline operator in (in lang) and opens the form.
func (f *field) openHotline(t *testing.T, name, lang string) *tab {
	tb := f.newTab(t, name)
	tb.setLang(f.base, lang)
	tb.loginForm(f.base, "hotline", "hotline-demo")
	tb.do("open /hotline", 30*time.Second, chromedp.Navigate(f.base+"/hotline"), chromedp.WaitVisible(chromedp.ID("search")))
	tb.waitJS("hotline map drawn", `document.querySelector("#hotline-map.leaflet-container")`, 10*time.Second)
	return tb
}

// search types q into the hotline search and waits for the suggestions.
func (tb *tab) search(q string) {
	tb.t.Helper()
	tb.run("clear the search", `document.getElementById("search").value = ""`)
	tb.do("type "+q, 10*time.Second, chromedp.SendKeys(chromedp.ID("search"), q))
	tb.waitJS("suggestions for "+q, `!document.getElementById("suggestions").hidden && document.querySelectorAll("#suggestions li[role=option]").length > 0`, 10*time.Second)
}

// Defect 1: the suggestion list lay under the map, so a click on a lower
// suggestion dropped a pin instead of taking the suggestion.
func (f *field) hotlineSuggestionClick(t *testing.T) {
	tb := f.openHotline(t, "hotline-click", "kk")
	hot := login(t, f.base, "hotline", "hotline-demo")
	q := "Кенесары 40"
	var cands []struct {
		Label string  `json:"label"`
		Lat   float64 `json:"lat"`
	}
	hot.do("GET", "/api/geocode?limit=10&q="+url.QueryEscape(q), nil, nil, http.StatusOK, &cands)
	if len(cands) < 5 {
		t.Fatalf("the geocoder gives %d candidates for %q; need 5", len(cands), q)
	}
	tb.search(q)
	tb.waitJS("five suggestions", `document.querySelectorAll("#suggestions li[role=option]").length >= 5`, 5*time.Second)
	text := eval[string](tb, `document.querySelectorAll("#suggestions li[role=option]")[4].textContent`)
	tb.do("click the fifth suggestion", 10*time.Second, chromedp.Click(chromedp.CSS(`#suggestions li[role=option]:nth-of-type(5)`)))
	tb.waitJS("a location is set", `document.getElementById("lat").value !== ""`, 5*time.Second)
	addr := eval[string](tb, `document.getElementById("address").value`)
	var want string
	for _, c := range cands {
		if strings.HasSuffix(text, c.Label) && len(c.Label) > len(want) {
			want = c.Label
		}
	}
	if addr == "" || addr != want {
		t.Errorf("after clicking the fifth suggestion %q the address is %q, want %q", text, addr, want)
	}
	if pinned := eval[bool](tb, `document.getElementById("location").textContent.indexOf(qamqorI18n.t("hotline.pin_moved")) >= 0`); pinned {
		t.Errorf("the click went to the map (pin placed), not to the suggestion")
	}
}

// Defect 2: "Кенесары 40" + Enter took a pensioner at another house;
// "Абая 10" + Enter a lane without a house number.
func (f *field) hotlineExactHouseFirst(t *testing.T) {
	tb := f.openHotline(t, "hotline-enter", "ru")
	for _, c := range []struct{ q, want string }{
		{"Кенесары 40", "Кенесары көшесі, 40"},
		{"Абая 10", "10"},
	} {
		tb.search(c.q)
		tb.do("Enter", 5*time.Second, pressEnter())
		tb.waitJS("suggestion taken", `document.getElementById("lat").value !== ""`, 5*time.Second)
		got := eval[string](tb, `document.getElementById("address").value`)
		ok := got == c.want
		if c.want == "10" {
			ok = regexp.MustCompile(`,\s*10\b`).MatchString(got)
		}
		if !ok {
			t.Errorf("%q + Enter took %q, want %s", c.q, got, map[bool]string{true: "a house numbered 10", false: strconvQuote(c.want)}[c.want == "10"])
		}
		tb.run("new form", `document.getElementById("address").value = "", document.getElementById("lat").value = ""`)
	}
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// Defect 10 (and 5 on the hotline): every error of a submit shows at
// once, in the operator's language; a fixed field's error goes away.
func (f *field) hotlineErrors(t *testing.T) {
	tb := f.openHotline(t, "hotline-errors", "kk")
	// No location, a window that ends before it starts, too many minutes.
	tb.run("fill a bad form", `(function () {
		document.getElementById("window_start").value = "2030-01-20T12:00";
		document.getElementById("window_end").value = "2030-01-20T10:00";
		document.getElementById("service_minutes").value = "9999";
	})()`)
	tb.do("submit", 10*time.Second, chromedp.Click(chromedp.ID("submit")))
	tb.waitJS("errors shown", `Array.from(document.querySelectorAll("#hotline .err")).filter(p => !p.hidden).length >= 3`, 10*time.Second)
	shown := eval[[]string](tb, `Array.from(document.querySelectorAll("#hotline .err, #form-error")).filter(p => !p.hidden).map(p => p.textContent)`)
	for _, s := range shown {
		if en := latinWords.FindAllString(s, -1); len(en) > 0 {
			t.Errorf("Kazakh form shows English %q in %q", en, s)
		}
	}
	// Fixing the minutes clears their error, and only theirs.
	tb.run("fix minutes", `(function () { var e = document.getElementById("service_minutes"); e.value = "30"; e.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	tb.waitJS("minutes error cleared", `document.querySelector('#hotline .err[data-for="service_minutes"]').hidden`, 5*time.Second)
	if n := eval[int](tb, `Array.from(document.querySelectorAll("#hotline .err")).filter(p => !p.hidden).length`); n < 2 {
		t.Errorf("fixing one field cleared the other errors too (%d left)", n)
	}
	// The server's own refusal (the point outside the city) is Kazakh too.
	tb.run("fix the window, pin outside the city", `(function () {
		document.getElementById("window_end").value = "2030-01-20T14:00";
		document.getElementById("window_end").dispatchEvent(new Event("input", {bubbles: true}));
		document.getElementById("address").value = "Алматы";
		document.getElementById("lat").value = "43.238"; document.getElementById("lon").value = "76.945";
	})()`)
	tb.do("submit again", 10*time.Second, chromedp.Click(chromedp.ID("submit")))
	tb.waitJS("server error shown", `Array.from(document.querySelectorAll("#hotline .err, #form-error")).some(p => !p.hidden && p.textContent.length > 5)`, 10*time.Second)
	shown = eval[[]string](tb, `Array.from(document.querySelectorAll("#hotline .err, #form-error")).filter(p => !p.hidden).map(p => p.textContent)`)
	for _, s := range shown {
		if en := latinWords.FindAllString(s, -1); len(en) > 0 {
			t.Errorf("Kazakh form shows server English %q in %q", en, s)
		}
	}
}

// Defect 6 (and 10's focus): the duplicate warning after a submit is
// readable, its link opens a page (not JSON), the status is a word, and
// focus lands on "Create anyway".
func (f *field) hotlineDuplicate(t *testing.T) {
	hot := login(t, f.base, "hotline", "hotline-demo")
	var first struct {
		ID int64 `json:"id"`
	}
	body := map[string]any{"kind": "snow_clearing", "address": "Кенесары көшесі, 40", "lat": 51.1694, "lon": 71.4306, "force": true}
	hot.do("POST", "/api/requests", body, map[string]string{"Idempotency-Key": "dup-first"}, http.StatusCreated, &first)
	tb := f.openHotline(t, "hotline-dup", "ru")
	// The form without its live duplicate check, as when the other request
	// arrives between the check and the submit.
	tb.run("fill the same place", `(function () {
		document.getElementById("address").value = "Кенесары көшесі, 40";
		document.getElementById("lat").value = "51.1694"; document.getElementById("lon").value = "71.4306";
		document.getElementById("kind").value = "snow_clearing";
	})()`)
	tb.do("submit", 10*time.Second, chromedp.Click(chromedp.ID("submit")))
	tb.waitJS("duplicate warning", `!document.getElementById("duplicates").hidden && document.querySelector("#duplicates li")`, 10*time.Second)
	tb.waitJS("focus on Create anyway", `document.activeElement && document.activeElement.id === "force"`, 5*time.Second)
	text := eval[string](tb, `document.getElementById("duplicates").textContent`)
	for _, bad := range []string{"force", "undefined", "snow_clearing", " new"} {
		if strings.Contains(text, bad) {
			t.Errorf("duplicate warning shows raw %q: %q", bad, text)
		}
	}
	if !strings.Contains(text, "Новая") && !strings.Contains(text, "новая") {
		t.Errorf("duplicate warning does not show the status as a word: %q", text)
	}
	href := eval[string](tb, `document.querySelector("#duplicates li a").getAttribute("href")`)
	if strings.HasPrefix(href, "/api/") {
		t.Fatalf("duplicate link %q opens raw JSON", href)
	}
	tb.do("open the duplicate", 20*time.Second, chromedp.Navigate(f.base+href))
	tb.waitJS("request page", fmt.Sprintf(`document.contentType === "text/html" && document.body.textContent.indexOf("%d") >= 0`, first.ID), 10*time.Second)
	page := eval[string](tb, `document.querySelector("main").innerText`)
	if !strings.Contains(page, "Кенесары көшесі, 40") || strings.Contains(page, "snow_clearing") {
		t.Errorf("request page: %q", page)
	}
}
