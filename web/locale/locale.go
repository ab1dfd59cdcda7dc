// Package locale translates the server's user-facing messages into Kazakh,
// Russian and English.
//
// A message's key is its English format string, exactly as written in Go
// (gettext's msgid): dispatch.Errorf(dispatch.ECONFLICT, "Route %d was
// cancelled.", id) is looked up as "Route %d was cancelled." in
// translations/kk.json and translations/ru.json, and the translation is
// formatted with the same arguments (fmt verbs, explicit indexes such as
// %[2]s allowed when a language orders words differently). English needs no
// entry; translations/en.json only holds the words below.
//
// Arguments whose type is a named string type (dispatch.RouteStatus,
// dispatch.Role, ...) are words, not free text: they are looked up as
// "<TypeName>.<value>" ("RouteStatus.in_progress") in every language, so a
// status reads as a word, never as a raw value like in_progress.
//
// TestCatalogue (locale_test.go) parses the repository's Go source and fails
// when a message literal has no kk or ru entry, or when a translation uses
// other verbs than its key.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Languages the server speaks, the default first.
const (
	KK = "kk"
	RU = "ru"
	EN = "en"
)

// Default is the language of a client that names none we speak: the state
// language.
const Default = KK

// Langs lists the supported languages.
var Langs = []string{KK, RU, EN}

//go:embed translations/*.json
var files embed.FS

// catalog is every language's entries and the patterns of their keys.
type catalog struct {
	m        map[string]map[string]string
	patterns []pattern
}

var (
	loadOnce sync.Once
	embedded *catalog
)

// newCatalog indexes entries (lang -> key -> text).
func newCatalog(m map[string]map[string]string) *catalog {
	c := &catalog{m: m}
	keys := map[string]bool{}
	for _, e := range m {
		for k := range e {
			keys[k] = true
		}
	}
	for k := range keys {
		if p, ok := compile(k); ok {
			c.patterns = append(c.patterns, p)
		}
	}
	// Most specific (longest literal text) first, so "Route %d is already
	// finished." wins over "Route %d %s".
	sort.Slice(c.patterns, func(i, j int) bool {
		if c.patterns[i].literal != c.patterns[j].literal {
			return c.patterns[i].literal > c.patterns[j].literal
		}
		return c.patterns[i].key < c.patterns[j].key
	})
	return c
}

func loadEmbedded() (*catalog, error) {
	m := map[string]map[string]string{}
	for _, l := range Langs {
		b, err := files.ReadFile("translations/" + l + ".json")
		if err != nil {
			return nil, fmt.Errorf("read catalogue lang=%s: %w", l, err)
		}
		e := map[string]string{}
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("parse catalogue lang=%s: %w", l, err)
		}
		m[l] = e
	}
	return newCatalog(m), nil
}

func cat() *catalog {
	loadOnce.Do(func() {
		c, err := loadEmbedded()
		if err != nil {
			// The catalogue is embedded and checked by tests; a broken
			// one is a build defect, not a runtime condition.
			panic(err)
		}
		embedded = c
	})
	return embedded
}

// Catalogue returns the entries of lang (key -> text). Callers must not
// modify it.
func Catalogue(lang string) map[string]string { return cat().m[lang] }

// Supported reports whether lang is one of Langs.
func Supported(lang string) bool {
	for _, l := range Langs {
		if l == lang {
			return true
		}
	}
	return false
}

// Negotiate picks the best supported language of an Accept-Language header
// (RFC 9110 §12.5.4: highest q first, then order). "kz" is taken as Kazakh.
// ok is false when the header names none we speak.
func Negotiate(accept string) (lang string, ok bool) {
	bestQ := 0.0
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		tag := strings.ToLower(strings.TrimSpace(fields[0]))
		if i := strings.IndexAny(tag, "-_"); i >= 0 {
			tag = tag[:i]
		}
		if tag == "kz" {
			tag = KK
		}
		if !Supported(tag) {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			f = strings.TrimSpace(f)
			if v, found := strings.CutPrefix(f, "q="); found {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					q = x
				}
			}
		}
		if q > bestQ {
			lang, bestQ, ok = tag, q, true
		}
	}
	return lang, ok
}

// Sprintf formats the message whose English format is key in lang. Without
// an entry it formats key itself, so an untranslated message still reads in
// English rather than vanishing.
func Sprintf(lang, key string, args ...any) string { return cat().sprintf(lang, key, args...) }

func (c *catalog) sprintf(lang, key string, args ...any) string {
	f := key
	if t, ok := c.m[lang][key]; ok && t != "" {
		f = t
	}
	if len(args) == 0 {
		if !strings.Contains(f, "%") {
			return f
		}
		return strings.ReplaceAll(f, "%%", "%")
	}
	return fmt.Sprintf(f, c.words(lang, args)...)
}

// Word returns the word for a value of a named type in lang, for example
// Word("ru", "RouteStatus", "draft") = "черновик". Unknown words come back
// unchanged.
func Word(lang, typ, value string) string { return cat().word(lang, typ, value) }

func (c *catalog) word(lang, typ, value string) string {
	if t, ok := c.m[lang][typ+"."+value]; ok {
		return t
	}
	return value
}

// words replaces arguments of named string types by their words.
func (c *catalog) words(lang string, args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		if a == nil {
			continue
		}
		v := reflect.ValueOf(a)
		if v.Kind() == reflect.String && v.Type().PkgPath() != "" {
			out[i] = c.word(lang, v.Type().Name(), v.String())
		}
	}
	return out
}

// Text translates text that was already formatted in English, such as a
// planning job's stored progress message: an exact key first, then the
// first key whose format matches the text, its arguments carried over.
// Text no key matches comes back unchanged.
func Text(lang, text string) string { return cat().text(lang, text) }

func (c *catalog) text(lang, text string) string {
	if t, ok := c.m[lang][text]; ok && t != "" {
		return t
	}
	if lang == EN {
		return text
	}
	for _, p := range c.patterns {
		m := p.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		t, ok := c.m[lang][p.key]
		if !ok || t == "" {
			return text
		}
		args := make([]any, len(m)-1)
		for i, s := range m[1:] {
			args[i] = s
			if w, ok := c.m[lang]["word."+s]; ok {
				args[i] = w
			}
		}
		return fmt.Sprintf(verbRe.ReplaceAllString(t, "%${1}s"), args...)
	}
	return text
}

// pattern matches the English output of one format.
type pattern struct {
	key     string
	literal int // characters of literal text: more is more specific
	re      *regexp.Regexp
}

// verbRe matches one fmt verb with optional index, flags, width and precision.
var verbRe = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(?:\.\d+)?[a-zA-Z]`)

// compile turns a format with at least one verb into an anchored regexp.
func compile(key string) (pattern, bool) {
	locs := verbRe.FindAllStringIndex(key, -1)
	if len(locs) == 0 {
		return pattern{}, false
	}
	var b strings.Builder
	b.WriteString("^")
	last, lit := 0, 0
	for _, l := range locs {
		b.WriteString(regexp.QuoteMeta(key[last:l[0]]))
		lit += l[0] - last
		switch verb := key[l[1]-1]; verb {
		case 'd':
			b.WriteString(`(-?\d+)`)
		case 'f', 'g', 'e':
			b.WriteString(`(-?[\d.]+(?:e[-+]?\d+)?)`)
		case 'q':
			b.WriteString(`("(?:[^"\\]|\\.)*")`)
		default:
			b.WriteString(`(.+?)`)
		}
		last = l[1]
	}
	b.WriteString(regexp.QuoteMeta(key[last:]))
	lit += len(key) - last
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return pattern{}, false
	}
	return pattern{key: key, literal: lit, re: re}, true
}

// Verbs returns the verbs of a format in argument order ("%d", "%s", ...),
// resolving explicit indexes, so a translation can be checked against its
// key.
func Verbs(format string) map[int]byte {
	out := map[int]byte{}
	n := 0
	for _, m := range verbRe.FindAllStringSubmatch(strings.ReplaceAll(format, "%%", ""), -1) {
		if m[1] != "" {
			i, _ := strconv.Atoi(strings.Trim(m[1], "[]"))
			n = i - 1
		}
		v := m[0][len(m[0])-1]
		if v == 'q' || v == 'v' {
			v = 's'
		}
		out[n] = v
		n++
	}
	return out
}
