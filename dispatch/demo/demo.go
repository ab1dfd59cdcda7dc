// Package demo generates the Astana demo data set: organisations, teams,
// volunteers and lone pensioners at real house addresses. It is a pure
// generator (deterministic for a seed, no database); dispatch/postgres loads
// the result. Every person, phone number and organisation in it is invented.
package demo

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/geo"
)

// Sizes of the demo set.
const (
	NumCareAddresses = 300
	NumTeams         = 40
	NumVolunteers    = 400
)

// DefaultSeed is the seed `qamqor demo load` uses.
const DefaultSeed = 2024

// HeadquartersName is the name of the headquarters organisation; its
// presence marks the demo set as loaded.
const HeadquartersName = "Штаб волонтёров Астаны"

// Login is a demo user account.
type Login struct {
	Username string
	Password string
	Role     dispatch.Role
	FullName string
	// Team is the index in Set.Teams a team lead belongs to, -1 for none.
	Team int
	// Org is the index in Set.Organisations the user belongs to (0, the
	// headquarters, unless set); a coordinator coordinates it.
	Org int
}

// Logins are the demo accounts, one per role, with their documented
// passwords (`make run` prints them). Only for demos: change or delete them
// on any real installation.
var Logins = []Login{
	{Username: "admin", Password: "admin-demo", Role: dispatch.RoleAdmin, FullName: "Администратор (демо)", Team: -1},
	{Username: "dispatcher", Password: "dispatcher-demo", Role: dispatch.RoleDispatcher, FullName: "Диспетчер (демо)", Team: -1},
	{Username: "hotline", Password: "hotline-demo", Role: dispatch.RoleHotline, FullName: "Оператор горячей линии (демо)", Team: -1},
	{Username: "lead1", Password: "lead-demo", Role: dispatch.RoleTeamLead, FullName: "Лидер команды 1 (демо)", Team: 0},
	{Username: "coord1", Password: "coord-demo", Role: dispatch.RoleCoordinator, FullName: "Координатор «Жастар еріктілері» (демо)", Team: -1, Org: 1},
}

// Volunteer is a volunteer of organisation Org (an index in
// Set.Organisations).
type Volunteer struct {
	dispatch.Volunteer
	Org int
}

// Team is a team of organisation Org; Lead and Members are indexes in
// Set.Volunteers (Lead is one of the members).
type Team struct {
	dispatch.Team
	Org     int
	Lead    int
	Members []int
}

// Set is the whole demo data set. IDs are zero; references are indexes.
type Set struct {
	Organisations []dispatch.Organisation
	Volunteers    []Volunteer
	Teams         []Team
	CareAddresses []dispatch.CareAddress
}

// orgProfile describes who volunteers in an organisation.
type orgProfile struct {
	name, kind string
	teams      int
	// ages of members: uniform in [minAge, maxAge]; youth organisations add
	// one adult coordinator per team
	minAge, maxAge int
	youth          bool
	cars           float64 // share of teams with a car
	enShare        float64 // share speaking English
}

// orgs are the 12 organisations, invented; teams add up to NumTeams. The
// youth organisations are school clubs (average age 15–16), the students'
// group is 18–23, the headquarters staff average about 30.
var orgs = []orgProfile{
	{HeadquartersName, "headquarters", 5, 22, 40, false, 0.8, 0.5},
	{"Жастар еріктілері — Астана", "volunteer_org", 5, 14, 17, true, 0.2, 0.6},
	{"Школьный волонтёрский клуб «Жарқын»", "volunteer_org", 4, 14, 17, true, 0, 0.6},
	{"Студенческие волонтёры «Шаңырақ»", "volunteer_org", 4, 18, 23, false, 0.25, 0.7},
	{"Волонтёрский корпус «Бірлік»", "volunteer_org", 3, 18, 55, false, 0.4, 0.35},
	{"Автоволонтёры Астаны", "initiative_group", 4, 25, 60, false, 1, 0.25},
	{"Соседская помощь Сарыарки", "initiative_group", 3, 25, 70, false, 0.3, 0.15},
	{"Инициативная группа «Есіл көмек»", "initiative_group", 3, 20, 60, false, 0.3, 0.3},
	{"Мамы Нуры", "initiative_group", 2, 25, 45, false, 0.5, 0.3},
	{"ОФ «Ақ ниет»", "ngo", 3, 20, 65, false, 0.5, 0.3},
	{"ОФ «Добрые соседи»", "ngo", 2, 20, 65, false, 0.5, 0.25},
	{"ОО «Мейірім жүрегі»", "ngo", 2, 18, 60, false, 0.5, 0.3},
}

// minorOnlyTeams are team indexes (in youth organisations) with minors only,
// so the rule that minors do not visit alone can be tested.
var minorOnlyTeams = map[int]bool{7: true, 12: true}

var (
	kzSurnames = []string{"Жұмабеков", "Сейітов", "Оспанов", "Әбенов", "Қасымов", "Нұрланов", "Ахметов", "Сәрсенбаев",
		"Омаров", "Тоқтаров", "Бекмұханов", "Искаков", "Жақыпов", "Мұқанов", "Ермеков", "Байжанов", "Смағұлов",
		"Төлеубаев", "Құрманов", "Әлімжанов", "Ыбыраев", "Садықов", "Есенов", "Мамытов"}
	ruSurnames = []string{"Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов",
		"Новиков", "Фёдоров", "Морозов", "Волков", "Лебедев", "Белов", "Шевченко", "Ким", "Цой", "Шмидт", "Бондаренко", "Пак"}
	kzOldF   = []string{"Күләш", "Бибігүл", "Зәуре", "Роза", "Гүлжан", "Сара", "Алтын", "Рахима", "Зейнеп", "Бәтима", "Мәрзия", "Шолпан", "Күлпаш", "Сәуле", "Гүлсім"}
	kzOldM   = []string{"Қасым", "Жұмабек", "Серікбай", "Төлеген", "Бейсен", "Мұхтар", "Әбдірахман", "Кенжебек", "Сағынтай", "Оразбек"}
	ruOldF   = []string{"Валентина", "Галина", "Людмила", "Нина", "Тамара", "Раиса", "Зинаида", "Антонина", "Лидия", "Вера", "Мария", "Надежда"}
	ruOldM   = []string{"Виктор", "Николай", "Анатолий", "Владимир", "Геннадий", "Иван", "Пётр", "Михаил", "Юрий"}
	kzYoungF = []string{"Аружан", "Айдана", "Әйгерім", "Дана", "Мадина", "Томирис", "Інжу", "Ақбота", "Мөлдір", "Балжан", "Назерке", "Жанар", "Айгүл", "Гүлнар"}
	kzYoungM = []string{"Нұрсұлтан", "Темірлан", "Әлихан", "Айбек", "Данияр", "Ернар", "Мирас", "Ислам", "Санжар", "Арман", "Ерлан", "Дәулет", "Бауыржан", "Асхат"}
	ruYoungF = []string{"Анна", "Екатерина", "Полина", "Дарья", "Алина", "София", "Виктория", "Ксения"}
	ruYoungM = []string{"Алексей", "Дмитрий", "Максим", "Артём", "Илья", "Кирилл", "Никита", "Сергей"}
	// father's names for patronymics: Kazakh forms -ұлы/-қызы and the
	// Russian-style -ович/-овна that many of this generation carry
	kzFathers = [][3]string{{"Қайрат", "Қайратұлы", "Қайратқызы"}, {"Серік", "Серікұлы", "Серікқызы"}, {"Мұрат", "Мұратұлы", "Мұратқызы"},
		{"Жақсылық", "Жақсылықұлы", "Жақсылыққызы"}, {"Төлеу", "Төлеуұлы", "Төлеуқызы"}, {"Әбіл", "Әбілұлы", "Әбілқызы"},
		{"Сериков", "Серикович", "Сериковна"}, {"Кайратов", "Кайратович", "Кайратовна"}, {"Муратов", "Муратович", "Муратовна"},
		{"Ахметов", "Ахметович", "Ахметовна"}}
	ruFathers = [][3]string{{"Пётр", "Петрович", "Петровна"}, {"Иван", "Иванович", "Ивановна"}, {"Николай", "Николаевич", "Николаевна"},
		{"Василий", "Васильевич", "Васильевна"}, {"Михаил", "Михайлович", "Михайловна"}, {"Фёдор", "Фёдорович", "Фёдоровна"},
		{"Григорий", "Григорьевич", "Григорьевна"}, {"Алексей", "Алексеевич", "Алексеевна"}}
	accessNotesRU = []string{"домофон 45", "домофон 12, звонить дважды", "собака во дворе", "вход со двора", "ключ у соседки из кв. 12",
		"лифт часто не работает", "плохо слышит, стучать громко", "звонить заранее за час", "калитка на щеколде", "подъезд с торца дома"}
	accessNotesKK = []string{"домофон 23", "Есік алдында ит бар", "Кіреберіс аулада", "Қоңырауды ұзақ басыңыз", "Алдын ала хабарласыңыз",
		"Кілт көршіде, 8-пәтер", "Лифт жұмыс істемейді"}
	immobileNotes = []string{"лежачая, дверь открывает соседка", "передвигается на коляске", "после инсульта, не выходит из дома",
		"Төсек тартып жатыр", "Арбамен жүреді", "не встаёт, родственники приезжают по выходным"}
	mobileNotes = []string{"ходит с тростью", "медленно открывает дверь", "Таяқпен жүреді", "плохо видит"}
	teamNames   = []string{"Бүркіт", "Сұңқар", "Барыс", "Тұлпар", "Арлан", "Қыран", "Жайық", "Алтай", "Ертіс", "Бәйтерек",
		"Самал", "Шуақ", "Нұр", "Береке", "Достар", "Күншуақ", "Жұлдыз", "Арай", "Таң", "Дала",
		"Снежинка", "Метель", "Север", "Рассвет", "Маяк", "Компас", "Пурга", "Позёмка", "Ирбис", "Сокол",
		"Мерей", "Ақжол", "Шапағат", "Ынтымақ", "Қамқор", "Мейірім", "Жігер", "Дәурен", "Сарыарқа", "Есіл"}
	shifts = [][2]string{{"09:00", "18:00"}, {"10:00", "19:00"}, {"14:00", "21:00"}, {"08:00", "14:00"}, {"09:00", "15:00"}}
)

// Generate builds the demo set for the given year (ages become birth years)
// from the gazetteer's houses and the districts: care addresses and team
// bases sit at real house addresses inside a district, spread over the city.
// The same seed, year and inputs give the same set.
func Generate(seed int64, year int, houses []geo.GazetteerEntry, districts []geo.District) (*Set, error) {
	r := rand.New(rand.NewSource(seed))
	var inCity []geo.GazetteerEntry
	for _, h := range houses {
		if h.Kind == geo.KindHouse && inDistrict(h.Location, districts) {
			inCity = append(inCity, h)
		}
	}
	spots := spread(r, inCity, NumCareAddresses+NumTeams)
	if len(spots) < NumCareAddresses+NumTeams {
		return nil, fmt.Errorf("demo: %d houses inside the districts, need %d", len(spots), NumCareAddresses+NumTeams)
	}
	// Interleave bases with care addresses so both cover the city.
	var bases, care []geo.GazetteerEntry
	step := len(spots) / NumTeams
	for i, s := range spots {
		if i%step == 0 && len(bases) < NumTeams {
			bases = append(bases, s)
		} else {
			care = append(care, s)
		}
	}
	s := &Set{}
	for i, o := range orgs {
		s.Organisations = append(s.Organisations, dispatch.Organisation{
			Name: o.name, Kind: o.kind, Phone: fmt.Sprintf("+7 700 002 00 %02d", i+1)})
	}
	s.genTeams(r, year, bases)
	s.genCare(r, care)
	return s, nil
}

func inDistrict(p orb.Point, ds []geo.District) bool {
	for _, d := range ds {
		if planar.MultiPolygonContains(d.Geometry, p) {
			return true
		}
	}
	return false
}

// spread picks n houses spread over the city although the sample crowds some
// areas: houses are grouped in cells of about 1 km, and cells are visited
// round-robin in random order taking one house each time.
func spread(r *rand.Rand, hs []geo.GazetteerEntry, n int) []geo.GazetteerEntry {
	cells := map[[2]int][]geo.GazetteerEntry{}
	var keys [][2]int
	for _, h := range hs {
		k := [2]int{int(math.Floor(h.Location.Lon() / 0.014)), int(math.Floor(h.Location.Lat() / 0.009))}
		if cells[k] == nil {
			keys = append(keys, k)
		}
		cells[k] = append(cells[k], h)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || (keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1])
	})
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for _, k := range keys {
		c := cells[k]
		r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	}
	var out []geo.GazetteerEntry
	for round := 0; len(out) < n; round++ {
		took := false
		for _, k := range keys {
			if c := cells[k]; round < len(c) && len(out) < n {
				out = append(out, c[round])
				took = true
			}
		}
		if !took {
			break
		}
	}
	return out
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

// female returns the female form of a Russian-style surname.
func female(surname string) string {
	for _, suf := range []string{"ов", "ев", "ёв", "ин"} {
		if strings.HasSuffix(surname, suf) {
			return surname + "а"
		}
	}
	if s, ok := strings.CutSuffix(surname, "ий"); ok {
		return s + "ая"
	}
	return surname
}

// oldName returns "Surname Name Patronymic" for someone born 1930–1960, and
// the language they prefer.
func oldName(r *rand.Rand) (string, string) {
	f := r.Float64() < 0.72 // lone pensioners are mostly women
	if r.Float64() < 0.55 {
		sur, fa := pick(r, kzSurnames), pick(r, kzFathers)
		lang := "kk"
		if !strings.HasSuffix(fa[1], "ұлы") && r.Float64() < 0.6 {
			lang = "ru" // Russian-style patronymics come with Russian more often
		}
		if f {
			return female(sur) + " " + pick(r, kzOldF) + " " + fa[2], lang
		}
		return sur + " " + pick(r, kzOldM) + " " + fa[1], lang
	}
	sur, fa := pick(r, ruSurnames), pick(r, ruFathers)
	if f {
		return female(sur) + " " + pick(r, ruOldF) + " " + fa[2], "ru"
	}
	return sur + " " + pick(r, ruOldM) + " " + fa[1], "ru"
}

// youngName returns "Surname Name" for a volunteer.
func youngName(r *rand.Rand) string {
	f := r.Float64() < 0.55
	if r.Float64() < 0.65 {
		sur := pick(r, kzSurnames)
		if f {
			return female(sur) + " " + pick(r, kzYoungF)
		}
		return sur + " " + pick(r, kzYoungM)
	}
	sur := pick(r, ruSurnames)
	if f {
		return female(sur) + " " + pick(r, ruYoungF)
	}
	return sur + " " + pick(r, ruYoungM)
}

// languages draws a volunteer's languages: most speak both Kazakh and
// Russian, many young people English, a few Chinese, Turkish or Korean.
func languages(r *rand.Rand, enShare float64) []string {
	var ls []string
	kk, ru := r.Float64() < 0.75, r.Float64() < 0.85
	if !kk && !ru {
		ru = true
	}
	if kk {
		ls = append(ls, "kk")
	}
	if ru {
		ls = append(ls, "ru")
	}
	if r.Float64() < enShare {
		ls = append(ls, "en")
	}
	for _, o := range []struct {
		lang  string
		share float64
	}{{"zh", 0.04}, {"tr", 0.04}, {"ko", 0.02}} {
		if r.Float64() < o.share {
			ls = append(ls, o.lang)
		}
	}
	return ls
}

func (s *Set) addVolunteer(r *rand.Rand, org int, age, year int) int {
	o := orgs[org]
	n := len(s.Volunteers)
	s.Volunteers = append(s.Volunteers, Volunteer{Org: org, Volunteer: dispatch.Volunteer{
		FullName:  youngName(r),
		BirthYear: year - age,
		Languages: languages(r, o.enShare),
		Phone:     fmt.Sprintf("+7 700 001 %02d %02d", n/100, n%100),
		Active:    true,
	}})
	return n
}

// genTeams makes NumTeams teams of 7–11 members, then tops the volunteers up
// to NumVolunteers with people in no team yet (on reserve).
func (s *Set) genTeams(r *rand.Rand, year int, bases []geo.GazetteerEntry) {
	t := 0
	for oi, o := range orgs {
		for k := 0; k < o.teams; k++ {
			size := 7 + r.Intn(5) // 7..11, about 360 in teams, the rest on reserve
			var members []int
			lead := -1
			if o.youth && !minorOnlyTeams[t] {
				// an adult coordinator from the headquarters leads each
				// school team, so the youth organisations stay at 15–16
				lead = s.addVolunteer(r, 0, 22+r.Intn(19), year)
				members = append(members, lead)
			}
			for len(members) < size {
				members = append(members, s.addVolunteer(r, oi, o.minAge+r.Intn(o.maxAge-o.minAge+1), year))
			}
			if lead < 0 {
				// the oldest member leads; in a minors-only team that is a minor
				lead = members[0]
				for _, m := range members {
					if s.Volunteers[m].BirthYear < s.Volunteers[lead].BirthYear {
						lead = m
					}
				}
			}
			s.Teams = append(s.Teams, s.newTeam(r, t, oi, lead, members, bases[t]))
			t++
		}
	}
	for i := 0; len(s.Volunteers) < NumVolunteers; i++ {
		oi := i % len(orgs)
		o := orgs[oi]
		s.addVolunteer(r, oi, o.minAge+r.Intn(o.maxAge-o.minAge+1), year)
	}
}

func (s *Set) newTeam(r *rand.Rand, t, org, lead int, members []int, base geo.GazetteerEntry) Team {
	o := orgs[org]
	car := r.Float64() < o.cars || t == 0 // team 1, the demo lead's, drives
	tm := dispatch.Team{
		Name:       fmt.Sprintf("%02d %s", t+1, teamNames[t%len(teamNames)]),
		Base:       base.Location,
		HasVehicle: car,
		Active:     true,
		Color:      color(t),
	}
	if car {
		tm.CapacityPackages = 20 + 5*r.Intn(9) // 20..60
		tm.Skills = []string{"car", "first_aid"}
		if r.Float64() < 0.5 {
			tm.Skills = append(tm.Skills, "shovels")
		}
	} else {
		tm.CapacityPackages = 4 + r.Intn(7) // 4..10
		tm.Skills = []string{"shovels"}
		if r.Float64() < 0.4 {
			tm.Skills = append(tm.Skills, "first_aid")
		}
		if r.Float64() < 0.3 {
			tm.Skills = append(tm.Skills, "heavy_lifting")
		}
	}
	if !o.youth && r.Float64() < 0.2 {
		tm.Skills = append(tm.Skills, "elderly_care")
	}
	sh := pick(r, shifts)
	if o.youth {
		sh = [2]string{"14:00", "19:00"} // after school
	}
	tm.ShiftStart, tm.ShiftEnd = sh[0], sh[1]
	seen := map[string]bool{}
	for _, m := range members {
		for _, l := range s.Volunteers[m].Languages {
			if !seen[l] {
				seen[l] = true
				tm.Languages = append(tm.Languages, l)
			}
		}
	}
	sort.Strings(tm.Languages)
	return Team{Team: tm, Org: org, Lead: lead, Members: members}
}

// color returns distinct colours for team t: hues a golden angle apart, so
// neighbouring team numbers never look alike on the map.
func color(t int) string {
	h := math.Mod(float64(t)*137.508, 360)
	s, l := 0.65, 0.45
	if t%2 == 1 {
		l = 0.38
	}
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var rr, gg, bb float64
	switch {
	case h < 60:
		rr, gg = c, x
	case h < 120:
		rr, gg = x, c
	case h < 180:
		gg, bb = c, x
	case h < 240:
		gg, bb = x, c
	case h < 300:
		rr, bb = x, c
	default:
		rr, bb = c, x
	}
	to := func(v float64) int { return int(math.Round((v + m) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", to(rr), to(gg), to(bb))
}

// genCare places one invented pensioner at each house.
func (s *Set) genCare(r *rand.Rand, houses []geo.GazetteerEntry) {
	for i, h := range houses {
		if i >= NumCareAddresses {
			break
		}
		name, lang := oldName(r)
		c := dispatch.CareAddress{
			FullName:          name,
			Phone:             fmt.Sprintf("+7 700 000 %02d %02d", i/100, i%100),
			AddressText:       h.Name,
			Location:          h.Location,
			PreferredLanguage: lang,
			Consent:           r.Float64() < 0.93,
			Active:            true,
		}
		if r.Float64() < 0.8 { // flats; the rest are private houses
			c.Entrance = fmt.Sprint(1 + r.Intn(8))
			c.Floor = fmt.Sprint(1 + r.Intn(12))
			c.Flat = fmt.Sprint(1 + r.Intn(180))
		}
		switch x := r.Float64(); {
		case x < 0.35:
			c.Needs = []string{dispatch.NeedSnow}
		case x < 0.7:
			c.Needs = []string{dispatch.NeedFood}
		default:
			c.Needs = []string{dispatch.NeedSnow, dispatch.NeedFood}
		}
		if r.Float64() < 0.15 {
			c.Immobile = true
			c.MobilityNotes = pick(r, immobileNotes)
		} else if r.Float64() < 0.2 {
			c.MobilityNotes = pick(r, mobileNotes)
		}
		if r.Float64() < 0.55 {
			// notes mostly in the pensioner's language: volunteers read
			// them to whoever opens the door
			if (lang == "kk") == (r.Float64() < 0.8) {
				c.AccessNotes = pick(r, accessNotesKK)
			} else {
				c.AccessNotes = pick(r, accessNotesRU)
			}
		}
		s.CareAddresses = append(s.CareAddresses, c)
	}
}
