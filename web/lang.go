package web

import (
	"encoding/json"
	"net/http"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/web/locale"
)

// LangCookie holds the language the user picked in the page's switcher;
// i18n.js sets it, so pages the server renders (errors, titles) speak the
// same language as the scripts.
const LangCookie = "qamqor_lang"

// langOf is the language of r's user-facing text. API calls follow
// Accept-Language (the page scripts send the switcher's language; other
// clients send what they like), then the cookie. Pages follow the cookie
// first: a browser's navigation sends its own Accept-Language, which may
// differ from the language the user chose. Without either, pages speak
// Kazakh (the state language, and the pages' own default) and the API
// English (a client that names no language is a program, and English is
// what its authors will read in the log and the docs).
func langOf(r *http.Request) string {
	c, _ := r.Cookie(LangCookie)
	fromCookie := ""
	if c != nil && locale.Supported(c.Value) {
		fromCookie = c.Value
	}
	if wantsHTML(r) && fromCookie != "" {
		return fromCookie
	}
	if l, ok := locale.Negotiate(r.Header.Get("Accept-Language")); ok {
		return l
	}
	if fromCookie != "" {
		return fromCookie
	}
	if !wantsHTML(r) {
		return locale.EN
	}
	return locale.Default
}

// tr formats the message whose English format is key in r's language.
func tr(r *http.Request, key string, args ...any) string {
	return locale.Sprintf(langOf(r), key, args...)
}

// localisedJob returns a copy of a planning job whose progress message and
// result reasons (stored in English by the planner) read in lang.
func localisedJob(lang string, job *dispatch.PlanningJob) *dispatch.PlanningJob {
	if job == nil {
		return nil
	}
	out := *job
	out.Message = locale.Text(lang, job.Message)
	if len(job.Result) == 0 {
		return &out
	}
	var res map[string]any
	if err := json.Unmarshal(job.Result, &res); err != nil {
		return &out
	}
	for _, list := range []string{"unplanned", "excluded", "kept"} {
		items, _ := res[list].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if s, ok := m["reason"].(string); ok {
					m["reason"] = locale.Text(lang, s)
				}
			}
		}
	}
	if b, err := json.Marshal(res); err == nil {
		out.Result = b
	}
	return &out
}
