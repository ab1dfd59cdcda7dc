package geo

import (
	"strings"
	"unicode"
)

// streetTypes are the words for "street", "avenue", "lane" and so on in
// Kazakh, Russian and English, with their usual abbreviations. They carry no
// information for search (people say "Кенесары 40", OSM says "Кенесары
// көшесі") so NormalizeAddress drops them. Also dropped: "house" words before
// the number and the city name after "г."/"город".
var streetTypes = map[string]bool{
	// street
	"көшесі": true, "көшесi": true, "көшеси": true, "көш": true, "көше": true,
	"улица": true, "ул": true, "street": true, "st": true, "str": true, "ulitsa": true, "kosh": true, "koshesi": true,
	// avenue
	"даңғылы": true, "даңғ": true, "даңғыл": true, "дангылы": true, "проспект": true, "пр": true,
	"пр-т": true, "пр-кт": true, "просп": true, "prospekt": true, "avenue": true, "ave": true, "av": true, "dangyly": true,
	// highway
	"шоссе": true, "highway": true, "hwy": true,
	// lane
	"переулок": true, "пер": true, "тұйық": true, "тұйығы": true, "тупик": true, "lane": true, "ln": true, "pereulok": true,
	// boulevard
	"бульвар": true, "бул": true, "б-р": true, "гүлзар": true, "гүлзары": true, "boulevard": true, "blvd": true,
	// micro-district, residential complex
	"мкр": true, "мкрн": true, "микрорайон": true, "ықшамауданы": true, "ықшамаудан": true, "жк": true,
	"microdistrict": true, "mkr": true,
	// house
	"дом": true, "д": true, "үй": true, "house": true,
}

// streetPhrases are multi-word street types, removed before splitting.
var streetPhrases = []string{"тас жолы", "ықшам ауданы", "жилой комплекс", "тұрғын үй кешені"}

// cityWords introduce the city, which is always Astana here.
var cityWords = map[string]bool{"г": true, "город": true, "city": true}

// cityNames follow a city word and are dropped with it.
var cityNames = map[string]bool{"астана": true, "astana": true, "нур-султан": true, "nur-sultan": true}

// latinToCyrillic maps Latin letters that look like Cyrillic ones, used for
// house letters ("40a" typed on a Latin keyboard means "40а").
var latinToCyrillic = map[rune]rune{'a': 'а', 'b': 'б', 'v': 'в', 'g': 'г', 'd': 'д', 'e': 'е'}

// NormalizeAddress returns the search key of an address: lower case, ё as е,
// punctuation removed, street-type words (көшесі, улица, ул., даңғылы,
// проспект, пр-т, avenue, переулок, бульвар, мкр, жк ...) dropped and spaces
// collapsed. House numbers keep their letters and slashes, and a letter
// written apart from its number is joined to it, so "улица Кенесары, 40",
// "Кенесары көшесі 40" and "ул. Кенесары д. 40" all give "кенесары 40", and
// "12 / 1", "12/1" give "12/1", "40 А" gives "40а".
func NormalizeAddress(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "ё", "е")
	for _, p := range streetPhrases {
		s = strings.ReplaceAll(s, p, " ")
	}
	// Keep letters, digits, '/' and '-' (for "пр-т" and "12/1"); anything
	// else separates words.
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '/' || r == '-' {
			return r
		}
		return ' '
	}, s)
	var out []string
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if streetTypes[f] {
			continue
		}
		if cityWords[f] {
			if i+1 < len(fields) && cityNames[fields[i+1]] {
				i++
			}
			continue
		}
		// Hyphens join word parts ("2-й", "Нур-Султан"); slashes only
		// matter between digits.
		for _, part := range strings.Fields(strings.ReplaceAll(f, "-", " ")) {
			out = appendPart(out, part)
		}
	}
	return strings.Join(mergeHouse(out), " ")
}

// appendPart adds one word, splitting at slashes that are not part of a
// house number ("12/1" stays, "Street A/Street B" splits). A lone slash is
// kept for mergeHouse to join "12 / 1".
func appendPart(out []string, part string) []string {
	if part == "/" || startsWithDigit(part) || (part[0] == '/' && startsWithDigit(part[1:])) {
		return append(out, part)
	}
	for _, p := range strings.Split(part, "/") {
		if p != "" && !streetTypes[p] {
			out = append(out, p)
		}
	}
	return out
}

// mergeHouse joins "40 а" into "40а", "12 / 1" into "12/1", and maps a
// Latin house letter to its Cyrillic twin.
func mergeHouse(words []string) []string {
	var out []string
	for _, w := range words {
		n := len(out)
		switch {
		case n > 0 && startsWithDigit(out[n-1]) && isHouseLetter(w):
			out[n-1] += houseLetter(w)
		case n > 0 && strings.HasSuffix(out[n-1], "/") && startsWithDigit(w):
			out[n-1] += w
		case n > 0 && startsWithDigit(out[n-1]) && strings.HasPrefix(w, "/"):
			out[n-1] += w
		case w == "/":
			// a slash not after a number separates nothing
		default:
			out = append(out, houseSuffix(w))
		}
	}
	for i, w := range out {
		out[i] = strings.Trim(w, "/")
	}
	return out
}

// houseSuffix maps a Latin letter after a number ("40a") to Cyrillic.
func houseSuffix(w string) string {
	if !startsWithDigit(w) {
		return w
	}
	r := []rune(w)
	last := r[len(r)-1]
	if c, ok := latinToCyrillic[last]; ok && len(r) > 1 && unicode.IsDigit(r[len(r)-2]) {
		r[len(r)-1] = c
	}
	return string(r)
}

func isHouseLetter(w string) bool {
	r := []rune(w)
	return len(r) == 1 && unicode.IsLetter(r[0])
}

func houseLetter(w string) string {
	r := []rune(w)[0]
	if c, ok := latinToCyrillic[r]; ok {
		return string(c)
	}
	return w
}

func startsWithDigit(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// SplitHouse splits an address into its normalised street and house number:
// the house is the last word when it starts with a digit and a street comes
// before it. "улица Кенесары, 40" gives ("кенесары", "40"); "Кенесары" gives
// ("кенесары", ""); "101-я улица" gives ("101я", "").
func SplitHouse(s string) (street, house string) {
	n := NormalizeAddress(s)
	i := strings.LastIndexByte(n, ' ')
	if i < 0 {
		return n, ""
	}
	last := n[i+1:]
	if !startsWithDigit(last) {
		return n, ""
	}
	return n[:i], last
}

// translit is the Cyrillic to Latin table, after the Kazakh 2021 Latin
// alphabet and the BGN/PCGN romanisation of Russian, simplified to plain
// ASCII the way street names are spelled on Latin signs and maps (қ→k, ң→n,
// ы→y, х→kh, ж→zh).
var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh",
	'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts",
	'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu",
	'я': "ya",
	// Kazakh letters
	'ә': "a", 'ғ': "g", 'қ': "k", 'ң': "n", 'ө': "o", 'ұ': "u", 'ү': "u", 'һ': "h", 'і': "i",
}

// Transliterate returns s in lower case with Cyrillic letters, Kazakh ones
// included (ә ғ қ ң ө ұ ү һ і), written in Latin: "Кенесары көшесі" gives
// "kenesary koshesi", "Тұран" gives "turan". Other characters are kept.
func Transliterate(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if t, ok := translit[r]; ok {
			b.WriteString(t)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// latinFold maps spellings that vary between romanisations to one form, so
// "Kenesary", "Kenessari" and "Кенесары" meet: y and j become i, doubled
// letters are single, kh is h, w is v, q is k.
var latinFold = strings.NewReplacer("kh", "h", "y", "i", "j", "i", "w", "v", "q", "k", "ts", "c", "x", "ks")

// LatinKey returns the Latin search key of an address in any script: the
// normalised address transliterated and folded. "Кенесары көшесі 40",
// "Kenesary street 40" and "Kenessary 40" all give "kenesari 40"; "Тұран
// даңғылы" and "проспект Туран" both give "turan".
func LatinKey(s string) string {
	t := Transliterate(NormalizeAddress(s))
	t = latinFold.Replace(t)
	var b strings.Builder
	var prev rune
	for _, r := range t {
		if r == prev && unicode.IsLetter(r) {
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}
