package dispatch

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/geo"
)

// Bulk import of the HQ's spreadsheets: care addresses, volunteers and
// teams. The rules of what a row means (which header names which field, what
// a valid phone is, when two rows are the same person, when a row is
// rejected) live here; the CLI (`qamqor import`) and the registry's import
// page both call RunImport, and dispatch/postgres stages and applies.

// ImportKind is what a file holds.
type ImportKind string

// Import kinds; the names are the CLI's arguments.
const (
	ImportCare       ImportKind = "care-addresses"
	ImportVolunteers ImportKind = "volunteers"
	ImportTeams      ImportKind = "teams"
)

// ImportKinds lists the kinds in the order the CLI documents them.
var ImportKinds = []ImportKind{ImportCare, ImportVolunteers, ImportTeams}

// Valid reports whether k is a known kind.
func (k ImportKind) Valid() bool {
	for _, x := range ImportKinds {
		if x == k {
			return true
		}
	}
	return false
}

// ImportAction is the permission an import of kind k needs: care addresses
// are the dispatchers' and admins' (ActEditCare), volunteers and teams the
// admins' (ActManageTeams).
func (k ImportKind) Action() Action {
	if k == ImportCare {
		return ActEditCare
	}
	return ActManageTeams
}

// Fate is what happens to one row.
type Fate string

// Fates.
const (
	FateCreate    Fate = "create"
	FateUpdate    Fate = "update"
	FateUnchanged Fate = "unchanged"
	FateReject    Fate = "reject"
)

// importField is one column an import understands.
type importField struct {
	Name     string
	Required bool
	// Synonyms are header names in Kazakh, Russian and English, compared
	// after headerKey.
	Synonyms []string
}

// CareHeader is the canonical header of a care-address file; export writes
// it first, so an exported file imports again unchanged.
var CareHeader = []string{"name", "phone", "address", "flat", "entrance", "floor", "language", "immobile", "notes"}

var (
	fName       = importField{"name", true, []string{"name", "full name", "fullname", "full_name", "фио", "ф и о", "ф.и.о", "фамилия имя отчество", "аты-жөні", "аты жөні", "аты-жөнi", "толық аты-жөні", "имя", "аты"}}
	fPhone      = importField{"phone", false, []string{"phone", "telephone", "tel", "mobile", "phone number", "телефон", "тел", "номер телефона", "контактный телефон", "сотовый", "телефон нөмірі", "ұялы телефон"}}
	fAddress    = importField{"address", false, []string{"address", "адрес", "мекенжай", "мекен-жай", "мекен жай", "адрес проживания", "тұратын мекенжайы"}}
	fFlat       = importField{"flat", false, []string{"flat", "apartment", "apt", "кв", "квартира", "пәтер", "пәтер нөмірі"}}
	fEntrance   = importField{"entrance", false, []string{"entrance", "подъезд", "кіреберіс", "подъезд №"}}
	fFloor      = importField{"floor", false, []string{"floor", "этаж", "қабат"}}
	fLanguage   = importField{"language", false, []string{"language", "lang", "язык", "тіл", "тілі", "язык общения", "сөйлесу тілі"}}
	fImmobile   = importField{"immobile", false, []string{"immobile", "маломобильный", "маломобильная", "маломобильность", "маломобильные", "қозғалысы шектеулі", "lying", "лежачий"}}
	fNotes      = importField{"notes", false, []string{"notes", "note", "comment", "comments", "примечание", "примечания", "комментарий", "ескертпе", "ескертпелер", "ескерту", "түсініктеме"}}
	fAccess     = importField{"access", false, []string{"access", "access notes", "как пройти", "домофон", "доступ", "кіру", "қалай кіруге болады"}}
	fNeeds      = importField{"needs", false, []string{"needs", "нужды", "потребности", "вид помощи", "помощь", "қажеттілік", "қажеттіліктер", "көмек түрі"}}
	fConsent    = importField{"consent", false, []string{"consent", "согласие", "согласие на обработку", "келісім"}}
	fLat        = importField{"lat", false, []string{"lat", "latitude", "широта", "ендік"}}
	fLon        = importField{"lon", false, []string{"lon", "lng", "long", "longitude", "долгота", "бойлық"}}
	fExternalID = importField{"external_id", false, []string{"external_id", "external id", "ext id", "внешний id", "внешний код", "код", "сыртқы id", "сыртқы код"}}
	fOrg        = importField{"organisation", false, []string{"organisation", "organization", "org", "организация", "ұйым"}}
	fBirthYear  = importField{"birth_year", true, []string{"birth_year", "birth year", "year of birth", "born", "год рождения", "г р", "г.р", "туған жылы", "дата рождения", "туған күні", "date of birth"}}
	fLanguages  = importField{"languages", false, []string{"languages", "language", "langs", "языки", "язык", "тілдер", "тілі"}}
	fTeamName   = importField{"name", true, []string{"name", "team", "team name", "название", "команда", "название команды", "атауы", "топ", "команда атауы"}}
	fBase       = importField{"address", false, []string{"address", "base", "base address", "адрес", "база", "адрес базы", "мекенжай", "база мекенжайы"}}
	fVehicle    = importField{"vehicle", false, []string{"vehicle", "has_vehicle", "car", "машина", "автомобиль", "есть машина", "көлік"}}
	fCapacity   = importField{"capacity", false, []string{"capacity", "capacity_packages", "packages", "вместимость", "пакетов", "сыйымдылық"}}
	fSkills     = importField{"skills", false, []string{"skills", "навыки", "умения", "дағдылар"}}
	fShiftStart = importField{"shift_start", false, []string{"shift_start", "shift start", "start", "начало смены", "начало", "ауысым басы", "басталуы"}}
	fShiftEnd   = importField{"shift_end", false, []string{"shift_end", "shift end", "end", "конец смены", "конец", "ауысым соңы", "аяқталуы"}}
	fColor      = importField{"color", false, []string{"color", "colour", "цвет", "түсі"}}
)

var importFields = map[ImportKind][]importField{
	ImportCare:       {fName, fPhone, fAddress, fFlat, fEntrance, fFloor, fLanguage, fImmobile, fNotes, fAccess, fNeeds, fConsent, fLat, fLon, fExternalID},
	ImportVolunteers: {fName, fPhone, fBirthYear, fLanguages, fOrg, fExternalID},
	ImportTeams:      {fTeamName, fBase, fLat, fLon, fVehicle, fCapacity, fSkills, fLanguages, fShiftStart, fShiftEnd, fColor, fOrg, fExternalID},
}

// ImportFieldNames lists the fields of kind k, for the mapping form.
func ImportFieldNames(k ImportKind) []string {
	var out []string
	for _, f := range importFields[k] {
		out = append(out, f.Name)
	}
	return out
}

// headerKey folds a header for comparison: lower case, ё as е, punctuation
// and repeated spaces removed ("Ф.И.О." and "ф и о" meet; "Кв." is "кв").
func headerKey(h string) string {
	h = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(h), "ё", "е"))
	h = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' {
			return r
		}
		return ' '
	}, h)
	return strings.Join(strings.Fields(h), " ")
}

// Mapping says which field each column of a file holds; "" means the
// column is ignored.
type Mapping struct {
	Fields  []string `json:"fields"`
	Ignored []string `json:"ignored,omitempty"`
}

// Has reports whether some column holds field.
func (m Mapping) Has(field string) bool {
	for _, f := range m.Fields {
		if f == field {
			return true
		}
	}
	return false
}

// MapHeader recognises the columns of header for kind. explicit maps a
// header (as written) to a field name, or to "" to ignore it, and wins over
// recognition. Two columns for one field, or a required field with no
// column, is EINVALID naming the columns found, so the user can give an
// explicit mapping.
func MapHeader(kind ImportKind, header []string, explicit map[string]string) (Mapping, error) {
	fields := importFields[kind]
	byKey := map[string]string{}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.Name] = true
		for _, s := range f.Synonyms {
			if _, ok := byKey[headerKey(s)]; !ok {
				byKey[headerKey(s)] = f.Name
			}
		}
	}
	m := Mapping{Fields: make([]string, len(header))}
	used := map[string]string{}
	for i, h := range header {
		name, ok := explicit[h]
		if ok && name != "" && !known[name] {
			return m, Invalid("mapping", "Column %q: unknown field %q (fields: %s).", h, name, strings.Join(ImportFieldNames(kind), ", "))
		}
		if !ok {
			name = byKey[headerKey(h)]
		}
		if name == "" {
			if strings.TrimSpace(h) != "" {
				m.Ignored = append(m.Ignored, h)
			}
			continue
		}
		if prev, dup := used[name]; dup {
			return m, Invalid("mapping", "Columns %q and %q both look like %q: map one of them explicitly.", prev, h, name)
		}
		used[name] = h
		m.Fields[i] = name
	}
	for _, f := range fields {
		if f.Required && used[f.Name] == "" {
			return m, Invalid("mapping", "No column for %q (found: %s). Name a column %q or map one explicitly.",
				f.Name, strings.Join(header, ", "), f.Name)
		}
	}
	switch kind {
	case ImportCare, ImportTeams:
		if used["address"] == "" && (used["lat"] == "" || used["lon"] == "") {
			return m, Invalid("mapping", "No column for %q (found: %s): give an address column or lat and lon.",
				"address", strings.Join(header, ", "))
		}
	}
	return m, nil
}

// Reject reasons. Each has a text in kk, ru and en (RejectText).
const (
	RejectNoName        = "no_name"
	RejectNoAddress     = "no_address"
	RejectNotFound      = "address_not_found"
	RejectAmbiguous     = "address_ambiguous"
	RejectOutside       = "outside_area"
	RejectBadPhone      = "bad_phone"
	RejectDuplicate     = "duplicate"
	RejectBadLanguage   = "bad_language"
	RejectBadValue      = "bad_value"
	RejectBadBirthYear  = "bad_birth_year"
	RejectUnknownOrg    = "unknown_organisation"
	RejectNoOrg         = "no_organisation"
	RejectOtherOrg      = "team_of_other_organisation"
	RejectInvalid       = "invalid"
	RejectBadCoordinate = "bad_coordinates"
)

// rejectTexts are the reasons in English, Russian and Kazakh; %s is the
// row's argument (a value, a field, a line number).
var rejectTexts = map[string][3]string{
	RejectNoName:        {"No name.", "Нет ФИО.", "Аты-жөні жоқ."},
	RejectNoAddress:     {"No address.", "Нет адреса.", "Мекенжай жоқ."},
	RejectNotFound:      {"Address %s not found in the gazetteer (street and house); add it by hand with a pin on the map, or give lat and lon.", "Адрес %s не найден в справочнике адресов (улица и дом); добавьте вручную с точкой на карте или укажите lat и lon.", "%s мекенжайы анықтамалықта табылмады (көше мен үй); картадағы нүктемен қолмен қосыңыз немесе lat пен lon беріңіз."},
	RejectAmbiguous:     {"Address %s matches several places; give lat and lon.", "Адрес %s соответствует нескольким местам; укажите lat и lon.", "%s мекенжайы бірнеше орынға сәйкес келеді; lat пен lon беріңіз."},
	RejectOutside:       {"%s is outside the service area (Astana).", "%s вне зоны обслуживания (Астана).", "%s қызмет көрсету аймағынан (Астана) тыс."},
	RejectBadPhone:      {"Malformed phone %s: want +7 7XX XXX XX XX or another 10/11-digit Kazakhstan number.", "Неверный телефон %s: нужен +7 7XX XXX XX XX или другой 10/11-значный номер Казахстана.", "Телефон қате: %s; +7 7XX XXX XX XX немесе Қазақстанның басқа 10/11 таңбалы нөмірі керек."},
	RejectDuplicate:     {"Duplicate of line %s in this file.", "Повтор строки %s этого файла.", "Осы файлдың %s-жолының қайталануы."},
	RejectBadLanguage:   {"Unknown language %s: use kk, ru or en.", "Неизвестный язык %s: kk, ru или en.", "Белгісіз тіл %s: kk, ru немесе en."},
	RejectBadValue:      {"Cannot read %s.", "Не удалось прочитать %s.", "%s оқылмады."},
	RejectBadBirthYear:  {"Birth year %s is not valid (volunteers are 12 to 100 years old).", "Год рождения %s неверен (волонтёрам от 12 до 100 лет).", "Туған жылы %s қате (еріктілер 12-ден 100 жасқа дейін)."},
	RejectUnknownOrg:    {"Unknown organisation %s.", "Неизвестная организация %s.", "Белгісіз ұйым %s."},
	RejectNoOrg:         {"No organisation: give --org or an organisation column.", "Нет организации: укажите --org или столбец организации.", "Ұйым жоқ: --org немесе ұйым бағанын беріңіз."},
	RejectOtherOrg:      {"Team %s belongs to another organisation.", "Команда %s принадлежит другой организации.", "%s тобы басқа ұйымға тиесілі."},
	RejectInvalid:       {"Invalid: %s", "Неверно: %s", "Қате: %s"},
	RejectBadCoordinate: {"Coordinates %s are not numbers.", "Координаты %s не являются числами.", "%s координаттары сан емес."},
}

// RejectText returns the reason in lang (kk, ru or en; English otherwise).
func RejectText(code, arg, lang string) string {
	t, ok := rejectTexts[code]
	if !ok {
		return code + " " + arg
	}
	i := 0
	switch lang {
	case "ru":
		i = 1
	case "kk":
		i = 2
	}
	if !strings.Contains(t[i], "%s") {
		return t[i]
	}
	if code == RejectDuplicate {
		return fmt.Sprintf(t[i], arg)
	}
	return fmt.Sprintf(t[i], strconv.Quote(arg))
}

// ImportRow is one data row of a file and its fate.
type ImportRow struct {
	Line     int    `json:"line"`
	Fate     Fate   `json:"fate"`
	TargetID *int64 `json:"target_id,omitempty"`
	// Label names the row in the preview (name and address, or team name).
	Label     string `json:"label"`
	Reason    string `json:"reason,omitempty"`
	ReasonArg string `json:"reason_arg,omitempty"`

	// The record to create, or the existing one with the file's columns
	// applied for an update. Exactly one is set unless rejected.
	Care      *CareAddress `json:"-"`
	Volunteer *Volunteer   `json:"-"`
	Team      *Team        `json:"-"`

	// Cells are the row's original cells, kept for rejected rows so the
	// rejects file can be corrected and imported again.
	Cells []string `json:"cells,omitempty"`

	// Geocode is the address to place when the row gave no lat/lon; the
	// store fills Place.
	Geocode string `json:"-"`
	// Phone is the normalised phone digits (7XXXXXXXXXX) or "".
	Phone string `json:"-"`
	// OrgName is the organisation column, resolved by the store when no
	// --org is given.
	OrgName string `json:"-"`
	// key identifies the row within the file for duplicate detection.
	key string
	// set lists the fields the file gave, for merging into existing rows.
	set map[string]bool
}

func (r *ImportRow) reject(code, arg string) {
	r.Fate, r.Reason, r.ReasonArg = FateReject, code, arg
	r.Care, r.Volunteer, r.Team = nil, nil, nil
}

// Rejected reports whether the row is rejected.
func (r *ImportRow) Rejected() bool { return r.Fate == FateReject }

// Place is where the gazetteer puts an address.
type Place struct {
	Point orb.Point
	// Ambiguous is set when the key names places more than AmbiguousM apart.
	Ambiguous bool
}

// AmbiguousM is how far apart two gazetteer houses with the same key may be
// and still count as one place (OSM often has a building and its entrance).
const AmbiguousM = 150

// ImportCounts are the figures `qamqor import` prints.
type ImportCounts struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// CSVHeader and CSVLine are the two lines `qamqor import` prints.
const ImportCountsHeader = "rows,created,updated,unchanged,rejected"

// CSVLine returns the counts as the data line under ImportCountsHeader.
func (c ImportCounts) CSVLine() string {
	return fmt.Sprintf("%d,%d,%d,%d,%d", c.Rows, c.Created, c.Updated, c.Unchanged, c.Rejected)
}

// Add counts one row.
func (c *ImportCounts) Add(f Fate) {
	c.Rows++
	switch f {
	case FateCreate:
		c.Created++
	case FateUpdate:
		c.Updated++
	case FateUnchanged:
		c.Unchanged++
	case FateReject:
		c.Rejected++
	}
}

// Import statuses.
const (
	ImportNew      = "new"
	ImportStaging  = "staging"
	ImportStaged   = "staged"
	ImportApplying = "applying"
	ImportApplied  = "applied"
	ImportFailed   = "failed"
)

// Import is one uploaded file and what became of it.
type Import struct {
	ID             int64             `json:"id"`
	Kind           ImportKind        `json:"kind"`
	OrganisationID *int64            `json:"organisation_id,omitempty"`
	Filename       string            `json:"filename"`
	Format         string            `json:"format"`
	Content        []byte            `json:"-"`
	Header         []string          `json:"header,omitempty"`
	Explicit       map[string]string `json:"mapping,omitempty"`
	Status         string            `json:"status"`
	RowsTotal      int               `json:"rows_total"`
	RowsDone       int               `json:"rows_done"`
	Counts         ImportCounts      `json:"counts"`
	Error          string            `json:"error,omitempty"`
	CreatedBy      *int64            `json:"created_by,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	AppliedAt      *time.Time        `json:"applied_at,omitempty"`
}

// ImportBatchSize is how many rows are geocoded, matched and staged in one
// transaction.
const ImportBatchSize = 2000

// ImportStore stages and applies imports. Every method checks the kind's
// Action (EUNAUTHORIZED, EFORBIDDEN).
type ImportStore interface {
	// CreateImport stores imp (file and options) and fills ID.
	CreateImport(ctx context.Context, actor *User, imp *Import) error
	// FindImport returns the import without its content; ENOTFOUND.
	FindImport(ctx context.Context, actor *User, id int64) (*Import, error)
	// ImportContent returns the stored file.
	ImportContent(ctx context.Context, actor *User, id int64) ([]byte, error)
	// ResolveOrganisations maps organisation names (case-insensitive) to
	// ids; unknown names are absent.
	ResolveOrganisations(ctx context.Context, names []string) (map[string]int64, error)
	// PlaceAddresses looks up each key (geo.NormalizeAddress of an
	// address) among the gazetteer's houses; keys not found are absent.
	PlaceAddresses(ctx context.Context, keys []string) (map[string]Place, error)
	// MatchImport fills TargetID of rows that name an existing record
	// (external id; else phone and address for care addresses, phone or
	// name and birth year for volunteers, name for teams) and returns the
	// existing records by id for comparison: *CareAddress, *Volunteer or
	// *Team.
	MatchImport(ctx context.Context, kind ImportKind, rows []*ImportRow) (map[int64]any, error)
	// StageImport replaces the staged rows of lines in rows and sets the
	// progress (done of total rows) and status, in one transaction.
	StageImport(ctx context.Context, actor *User, id int64, rows []*ImportRow, done, total int, status string) error
	// ApplyImport applies every staged row of a staged import in one
	// transaction and returns the counts; ECONFLICT when the import is not
	// staged (already applied, still staging).
	ApplyImport(ctx context.Context, actor *User, id int64) (ImportCounts, error)
	// ImportRows returns staged rows from line after, at most limit,
	// only rejected ones when rejected is set.
	ImportRows(ctx context.Context, actor *User, id int64, rejected bool, after, limit int) ([]ImportRow, error)
	// FailImport records that an import failed with msg.
	FailImport(ctx context.Context, id int64, msg string) error
	// DeleteImport removes an import and its staged rows (a dry run leaves
	// nothing behind).
	DeleteImport(ctx context.Context, actor *User, id int64) error
}

// StageImport reads header and rows of imp, decides each row's fate and
// stages them batch by batch (ImportBatchSize rows, one transaction each,
// progress after each). It changes nothing in the registry: ApplyImport
// does. orgID is the --org organisation (nil: from an organisation column).
func StageImport(ctx context.Context, st ImportStore, actor *User, imp *Import, header []string, data [][]string, now time.Time) (ImportCounts, error) {
	var counts ImportCounts
	if err := Require(actor, imp.Kind.Action()); err != nil {
		return counts, err
	}
	m, err := MapHeader(imp.Kind, header, imp.Explicit)
	if err != nil {
		return counts, err
	}
	rows := ParseImportRows(imp.Kind, m, data, imp.OrganisationID, now)
	if err := resolveOrgs(ctx, st, rows); err != nil {
		return counts, err
	}
	markDuplicates(rows)
	// Places looked up once per file: a list of pensioners names the same
	// buildings again and again.
	places := map[string]*Place{}
	for start := 0; start < len(rows); start += ImportBatchSize {
		if err := ctx.Err(); err != nil {
			return counts, err
		}
		batch := rows[start:min(start+ImportBatchSize, len(rows))]
		if err := placeRows(ctx, st, batch, places); err != nil {
			return counts, err
		}
		existing, err := st.MatchImport(ctx, imp.Kind, live(batch))
		if err != nil {
			return counts, err
		}
		for _, r := range batch {
			decide(r, existing)
		}
		status := ImportStaging
		if start+len(batch) == len(rows) {
			status = ImportStaged
		}
		if err := st.StageImport(ctx, actor, imp.ID, batch, start+len(batch), len(rows), status); err != nil {
			return counts, err
		}
	}
	if len(rows) == 0 {
		if err := st.StageImport(ctx, actor, imp.ID, nil, 0, 0, ImportStaged); err != nil {
			return counts, err
		}
	}
	for _, r := range rows {
		counts.Add(r.Fate)
	}
	return counts, nil
}

func live(rows []*ImportRow) []*ImportRow {
	var out []*ImportRow
	for _, r := range rows {
		if !r.Rejected() {
			out = append(out, r)
		}
	}
	return out
}

func resolveOrgs(ctx context.Context, st ImportStore, rows []*ImportRow) error {
	seen := map[string]bool{}
	var names []string
	for _, r := range rows {
		if !r.Rejected() && r.OrgName != "" && !seen[strings.ToLower(r.OrgName)] {
			seen[strings.ToLower(r.OrgName)] = true
			names = append(names, r.OrgName)
		}
	}
	if len(names) == 0 {
		return nil
	}
	ids, err := st.ResolveOrganisations(ctx, names)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Rejected() || r.OrgName == "" {
			continue
		}
		id, ok := ids[strings.ToLower(r.OrgName)]
		if !ok {
			r.reject(RejectUnknownOrg, r.OrgName)
			continue
		}
		switch {
		case r.Volunteer != nil:
			r.Volunteer.OrganisationID = id
		case r.Team != nil:
			r.Team.OrganisationID = id
		}
	}
	return nil
}

// placeRows geocodes the rows that gave an address and no coordinates:
// only an exact gazetteer house counts; anything else is rejected with the
// reason, never placed at a guess (a street's middle, a similar name).
// places caches the answers by key; nil marks a key the gazetteer lacks.
func placeRows(ctx context.Context, st ImportStore, rows []*ImportRow, places map[string]*Place) error {
	var keys []string
	for _, r := range rows {
		if _, known := places[r.Geocode]; !r.Rejected() && r.Geocode != "" && !known {
			places[r.Geocode] = nil
			keys = append(keys, r.Geocode)
		}
	}
	if len(keys) > 0 {
		found, err := st.PlaceAddresses(ctx, keys)
		if err != nil {
			return err
		}
		for k, p := range found {
			places[k] = &p
		}
	}
	for _, r := range rows {
		if r.Rejected() || r.Geocode == "" {
			continue
		}
		p := places[r.Geocode]
		ok := p != nil
		addr := r.Geocode
		if r.Care != nil {
			addr = r.Care.AddressText
		}
		switch {
		case !ok:
			r.reject(RejectNotFound, addr)
		case p.Ambiguous:
			r.reject(RejectAmbiguous, addr)
		case !AstanaArea.Contains(p.Point):
			r.reject(RejectOutside, addr)
		case r.Care != nil:
			r.Care.Location = p.Point
		case r.Team != nil:
			r.Team.Base = p.Point
		}
	}
	return nil
}

// decide sets the fate of a placed, matched row: create without a match,
// otherwise update when a field the file gave differs, else unchanged.
func decide(r *ImportRow, existing map[int64]any) {
	if r.Rejected() {
		return
	}
	if r.TargetID == nil {
		r.Fate = FateCreate
		return
	}
	switch old := existing[*r.TargetID].(type) {
	case *CareAddress:
		merged := *old
		mergeCare(&merged, r.Care, r.set)
		r.Fate = fateOf(careEqual(&merged, old))
		r.Care = &merged
	case *Volunteer:
		merged := *old
		mergeVolunteer(&merged, r.Volunteer, r.set)
		r.Fate = fateOf(volunteerEqual(&merged, old))
		r.Volunteer = &merged
	case *Team:
		if old.OrganisationID != r.Team.OrganisationID {
			r.reject(RejectOtherOrg, r.Team.Name)
			return
		}
		merged := *old
		mergeTeam(&merged, r.Team, r.set)
		r.Fate = fateOf(teamEqual(&merged, old))
		r.Team = &merged
	default:
		r.Fate = FateCreate
		r.TargetID = nil
	}
}

func fateOf(equal bool) Fate {
	if equal {
		return FateUnchanged
	}
	return FateUpdate
}

// markDuplicates rejects every row whose key an earlier row of the file
// has, naming that line.
func markDuplicates(rows []*ImportRow) {
	first := map[string]int{}
	for _, r := range rows {
		if r.Rejected() || r.key == "" {
			continue
		}
		if line, ok := first[r.key]; ok {
			r.reject(RejectDuplicate, strconv.Itoa(line))
			continue
		}
		first[r.key] = r.Line
	}
}

// ParseImportRows turns data rows into ImportRows: each is either rejected
// with a reason or holds the record the file describes (not yet placed or
// matched). Blank rows are skipped; Line is the spreadsheet row number.
func ParseImportRows(kind ImportKind, m Mapping, data [][]string, orgID *int64, now time.Time) []*ImportRow {
	var out []*ImportRow
	for i, rec := range data {
		cells := map[string]string{}
		blank := true
		for j, f := range m.Fields {
			if f == "" || j >= len(rec) {
				continue
			}
			v := unquoteFormula(strings.TrimSpace(rec[j]))
			cells[f] = v
			blank = blank && v == ""
		}
		if blank {
			continue
		}
		// An empty cell says nothing: it never clears what the registry
		// already has (a partial list must not wipe door codes).
		r := &ImportRow{Line: i + 2, set: map[string]bool{}, Cells: rec}
		for f, v := range cells {
			if v != "" {
				r.set[f] = true
			}
		}
		switch kind {
		case ImportCare:
			parseCareRow(r, cells)
		case ImportVolunteers:
			parseVolunteerRow(r, cells, orgID, now)
		case ImportTeams:
			parseTeamRow(r, cells, orgID)
		}
		out = append(out, r)
	}
	return out
}

// unquoteFormula drops the apostrophe CSV exports put before a cell that a
// spreadsheet would otherwise run as a formula ("'+7 701 ..."), so exported
// and rejects files import again.
func unquoteFormula(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@", rune(v[1])) {
		return v[1:]
	}
	return v
}

var flatInAddress = regexp.MustCompile(`(?i)[,\s]+(?:кв\.?|квартира|пәтер|apt\.?|flat)\s*№?\s*([0-9]+[а-яa-z]?)\s*$`)

// astanaPrefix matches the city written before the street ("Астана,",
// "г. Астана", "Астана қ.").
var astanaPrefix = regexp.MustCompile(`(?i)^\s*(?:г\.?\s*|город\s+)?(?:астана|нур-султан|astana)(?:\s+(?:қ\.?|қаласы))?(?:\s*,\s*|\s+|$)`)

// cityNames are the other cities of Kazakhstan people may write before an
// address. Astana has streets named after most of them ("улица Алматы",
// "Түркістан көшесі"), so a name alone means nothing: only "г. X", "X қ.",
// "X қаласы" or X first and followed by a comma ("Караганда, ул. ...")
// name a city.
const cityNames = `алматы|алма-ата|шымкент|караганда|қарағанды|актобе|ақтөбе|павлодар|кокшетау|көкшетау|костанай|қостанай|атырау|актау|ақтау|тараз|семей|усть-каменогорск|өскемен|петропавловск|петропавл|уральск|орал|кызылорда|қызылорда|талдыкорган|талдықорған|туркестан|түркістан|экибастуз|екібастұз|темиртау|теміртау|almaty|shymkent|karaganda`

var (
	cityFirst  = regexp.MustCompile(`(?i)^\s*(` + cityNames + `)\s*,`)
	citySuffix = regexp.MustCompile(`(?i)(?:^|[\s,])(` + cityNames + `)\s+(?:қ\.|қаласы)`)
	// cityPrefix matches "г. X" or "город X" with any X (Astana is
	// allowed by the caller).
	cityPrefix = regexp.MustCompile(`(?i)(?:^|[\s,])(?:г\.\s*|город\s+)([а-яёәғқңөұүһіa-z-]+)`)
)

// CleanAddress splits an address as people type it into the address proper
// and a flat ("ул. Кенесары, 40, кв. 12" gives "ул. Кенесары, 40" and
// "12") and drops a leading "Астана,". It reports the other city named, if
// any ("г. Алматы, Абая 150" gives city "Алматы").
func CleanAddress(s string) (addr, flat, city string) {
	s = strings.TrimSpace(s)
	for _, re := range []*regexp.Regexp{cityFirst, citySuffix, cityPrefix} {
		if m := re.FindStringSubmatch(s); m != nil {
			c := strings.ToLower(m[1])
			if c != "астана" && c != "astana" && c != "нур-султан" {
				return s, "", m[1]
			}
		}
	}
	if m := flatInAddress.FindStringSubmatchIndex(s); m != nil {
		flat = s[m[2]:m[3]]
		s = strings.TrimSpace(s[:m[0]])
	}
	s = astanaPrefix.ReplaceAllString(s, "")
	return strings.Trim(s, " ,"), flat, ""
}

// PhoneDigits normalises a Kazakhstan phone to its 11 digits starting with 7
// ("+7 701 555 12 34", "8 (701) 555-12-34" and "7015551234" all give
// "77015551234"). ok is false when the text is not such a number.
func PhoneDigits(s string) (digits string, ok bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" +()-.\u00a0", r):
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case len(d) == 11 && (d[0] == '8' || d[0] == '7'):
		d = "7" + d[1:]
	case len(d) == 10:
		d = "7" + d
	default:
		return "", false
	}
	// Kazakhstan numbers: 7 then a 6 or 7 (mobile 70x/74x/77x, landline 71x/72x).
	if d[1] != '7' && d[1] != '6' {
		return "", false
	}
	return d, true
}

// FormatPhone writes digits from PhoneDigits the way the registry shows
// them: "+7 701 555 12 34".
func FormatPhone(d string) string {
	if len(d) != 11 {
		return d
	}
	return "+" + d[:1] + " " + d[1:4] + " " + d[4:7] + " " + d[7:9] + " " + d[9:]
}

func parsePhone(r *ImportRow, raw string) (string, bool) {
	if raw == "" {
		return "", true
	}
	d, ok := PhoneDigits(raw)
	if !ok {
		r.reject(RejectBadPhone, raw)
		return "", false
	}
	r.Phone = d
	return FormatPhone(d), true
}

// ParseLanguage maps what people write ("русский", "қазақша", "kz", "en")
// to kk, ru or en.
func ParseLanguage(s string) (string, bool) {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), "."))
	switch s {
	case "kk", "kz", "kaz", "kazakh", "қаз", "каз", "қазақ", "қазақша", "казахский", "казахский язык", "қазақ тілі":
		return "kk", true
	case "ru", "rus", "russian", "рус", "русский", "русский язык", "орыс", "орысша", "орыс тілі":
		return "ru", true
	case "en", "eng", "english", "англ", "английский", "ағылшын", "ағылшынша":
		return "en", true
	}
	return "", false
}

// isoCode is a two- or three-letter ISO 639 language code.
var isoCode = regexp.MustCompile(`^[a-zA-Z]{2,3}$`)

// parseLanguages reads a list of languages (kk/ru/en by any name, other
// languages by ISO code) separated by commas, semicolons or spaces.
func parseLanguages(s string) ([]string, bool) {
	out := []string{}
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '/' || r == ' ' }) {
		l, ok := ParseLanguage(p)
		if !ok && isoCode.MatchString(p) {
			// volunteers speak more than the three service languages
			l, ok = strings.ToLower(p), true
		}
		if !ok {
			return nil, false
		}
		dup := false
		for _, x := range out {
			dup = dup || x == l
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out, true
}

// ParseYesNo reads a yes/no cell in any of the three languages; empty is no.
func ParseYesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(s), ".")) {
	case "", "0", "no", "n", "false", "нет", "н", "жоқ", "-", "—":
		return false, true
	case "1", "yes", "y", "true", "да", "д", "иә", "ия", "+", "x", "х", "✓", "v":
		return true, true
	}
	return false, false
}

func parseNeeds(s string) ([]string, bool) {
	out := []string{}
	for _, p := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ';' || r == '/' || r == '+' }) {
		var n string
		switch strings.TrimSpace(p) {
		case "snow", "снег", "уборка снега", "қар", "қар тазалау":
			n = NeedSnow
		case "food", "продукты", "еда", "продуктовый набор", "азық", "азық-түлік", "тамақ":
			n = NeedFood
		case "":
			continue
		default:
			return nil, false
		}
		if len(out) == 0 || out[0] != n {
			out = append(out, n)
		}
	}
	return out, true
}

func parseCoords(r *ImportRow, lat, lon string) (orb.Point, bool, bool) {
	if lat == "" && lon == "" {
		return orb.Point{}, false, true
	}
	la, err1 := strconv.ParseFloat(strings.ReplaceAll(lat, ",", "."), 64)
	lo, err2 := strconv.ParseFloat(strings.ReplaceAll(lon, ",", "."), 64)
	if err1 != nil || err2 != nil {
		r.reject(RejectBadCoordinate, lat+" "+lon)
		return orb.Point{}, false, false
	}
	p := orb.Point{lo, la}
	if !AstanaArea.Contains(p) {
		r.reject(RejectOutside, lat+", "+lon)
		return p, false, false
	}
	return p, true, true
}

func parseCareRow(r *ImportRow, c map[string]string) {
	ca := &CareAddress{FullName: c["name"], Entrance: c["entrance"], Floor: c["floor"], Flat: c["flat"],
		MobilityNotes: c["notes"], AccessNotes: c["access"], ExternalID: c["external_id"], Active: true,
		PreferredLanguage: "ru", Needs: []string{NeedSnow, NeedFood}}
	r.Label = c["name"] + " · " + c["address"]
	if ca.FullName == "" {
		r.reject(RejectNoName, "")
		return
	}
	addr, flat, city := CleanAddress(c["address"])
	if city != "" {
		r.reject(RejectOutside, c["address"])
		return
	}
	if ca.Flat == "" && flat != "" {
		ca.Flat = flat
		r.set["flat"] = true
	}
	ca.AddressText = addr
	phone, ok := parsePhone(r, c["phone"])
	if !ok {
		return
	}
	ca.Phone = phone
	if v := c["language"]; v != "" {
		l, ok := ParseLanguage(v)
		if !ok {
			r.reject(RejectBadLanguage, v)
			return
		}
		ca.PreferredLanguage = l
	}
	var ok1, ok2 bool
	if ca.Immobile, ok1 = ParseYesNo(c["immobile"]); !ok1 {
		r.reject(RejectBadValue, c["immobile"])
		return
	}
	if ca.Consent, ok2 = ParseYesNo(c["consent"]); !ok2 {
		r.reject(RejectBadValue, c["consent"])
		return
	}
	if v := c["needs"]; v != "" {
		n, ok := parseNeeds(v)
		if !ok {
			r.reject(RejectBadValue, v)
			return
		}
		ca.Needs = n
	}
	pt, given, ok := parseCoords(r, c["lat"], c["lon"])
	if !ok {
		return
	}
	switch {
	case given:
		ca.Location = pt
		if ca.AddressText == "" {
			r.reject(RejectNoAddress, "")
			return
		}
	case ca.AddressText == "":
		r.reject(RejectNoAddress, "")
		return
	default:
		r.Geocode = geo.NormalizeAddress(ca.AddressText)
		if r.Geocode == "" {
			r.reject(RejectNotFound, ca.AddressText)
			return
		}
	}
	if len(ca.FullName) > 200 || len(ca.AddressText) > 500 || len(ca.MobilityNotes) > 1000 || len(ca.AccessNotes) > 1000 {
		r.reject(RejectInvalid, "text too long")
		return
	}
	r.Care = ca
	r.key = CareKey(r.Phone, ca.AddressText, ca.Flat)
	if ca.ExternalID != "" {
		r.key = "x|" + ca.ExternalID
	}
}

// CareKey is what makes two care addresses the same pensioner: the phone
// digits and the normalised address with the flat. Rows without a phone
// match on the address and flat alone.
func CareKey(phoneDigits, address, flat string) string {
	return phoneDigits + "|" + geo.NormalizeAddress(address) + "|" + strings.ToLower(strings.TrimSpace(flat))
}

var yearInDate = regexp.MustCompile(`\b(19[0-9]{2}|20[0-9]{2})\b`)

func parseVolunteerRow(r *ImportRow, c map[string]string, orgID *int64, now time.Time) {
	v := &Volunteer{FullName: c["name"], ExternalID: c["external_id"], Active: true, Languages: []string{}}
	r.Label = c["name"]
	if v.FullName == "" {
		r.reject(RejectNoName, "")
		return
	}
	y := yearInDate.FindString(c["birth_year"])
	v.BirthYear, _ = strconv.Atoi(y)
	if v.BirthYear < now.Year()-100 || v.BirthYear > now.Year()-12 {
		r.reject(RejectBadBirthYear, c["birth_year"])
		return
	}
	phone, ok := parsePhone(r, c["phone"])
	if !ok {
		return
	}
	v.Phone = phone
	if s := c["languages"]; s != "" {
		ls, ok := parseLanguages(s)
		if !ok {
			r.reject(RejectBadLanguage, s)
			return
		}
		v.Languages = ls
	}
	switch {
	case orgID != nil:
		v.OrganisationID = *orgID
	case c["organisation"] != "":
		r.OrgName = c["organisation"]
	default:
		r.reject(RejectNoOrg, "")
		return
	}
	check := *v
	check.OrganisationID = max(check.OrganisationID, 1) // a named one is resolved later
	if err := check.Validate(now); err != nil {
		r.reject(RejectInvalid, ErrorMessage(err))
		return
	}
	v.FullName = check.FullName
	r.Volunteer = v
	org := r.OrgName
	if orgID != nil {
		org = strconv.FormatInt(*orgID, 10)
	}
	switch {
	case v.ExternalID != "":
		r.key = "x|" + org + "|" + v.ExternalID
	case r.Phone != "":
		r.key = "p|" + org + "|" + r.Phone
	default:
		r.key = "n|" + org + "|" + strings.ToLower(v.FullName) + "|" + strconv.Itoa(v.BirthYear)
	}
}

func parseTeamRow(r *ImportRow, c map[string]string, orgID *int64) {
	t := &Team{Name: c["name"], ExternalID: c["external_id"], Active: true, Skills: []string{}, Languages: []string{},
		ShiftStart: c["shift_start"], ShiftEnd: c["shift_end"], Color: c["color"]}
	r.Label = c["name"]
	if t.Name == "" {
		r.reject(RejectNoName, "")
		return
	}
	var ok bool
	if t.HasVehicle, ok = ParseYesNo(c["vehicle"]); !ok {
		r.reject(RejectBadValue, c["vehicle"])
		return
	}
	if s := c["capacity"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			r.reject(RejectBadValue, s)
			return
		}
		t.CapacityPackages = n
	}
	if s := c["skills"]; s != "" {
		t.Skills = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	}
	if s := c["languages"]; s != "" {
		ls, ok := parseLanguages(s)
		if !ok {
			r.reject(RejectBadLanguage, s)
			return
		}
		t.Languages = ls
	}
	switch {
	case orgID != nil:
		t.OrganisationID = *orgID
	case c["organisation"] != "":
		r.OrgName = c["organisation"]
	default:
		r.reject(RejectNoOrg, "")
		return
	}
	pt, given, ok := parseCoords(r, c["lat"], c["lon"])
	if !ok {
		return
	}
	if given {
		t.Base = pt
	} else {
		addr, _, city := CleanAddress(c["address"])
		switch {
		case city != "":
			r.reject(RejectOutside, c["address"])
			return
		case addr == "":
			r.reject(RejectNoAddress, "")
			return
		}
		r.Geocode = geo.NormalizeAddress(addr)
		t.Base = AstanaArea.Bound.Center() // replaced by the place; lets Validate run now
	}
	check := *t
	check.OrganisationID = max(check.OrganisationID, 1) // a named one is resolved later
	if err := check.Validate(AstanaArea); err != nil {
		r.reject(RejectInvalid, ErrorMessage(err))
		return
	}
	t.Name, t.Skills, t.ShiftStart, t.ShiftEnd, t.Color = check.Name, check.Skills, check.ShiftStart, check.ShiftEnd, check.Color
	r.Team = t
	r.key = "t|" + strings.ToLower(t.Name)
}

func mergeCare(dst, src *CareAddress, set map[string]bool) {
	if set["name"] {
		dst.FullName = src.FullName
	}
	if set["phone"] {
		dst.Phone = src.Phone
	}
	if set["address"] || set["lat"] {
		dst.AddressText, dst.Location = src.AddressText, src.Location
	}
	if set["flat"] {
		dst.Flat = src.Flat
	}
	if set["entrance"] {
		dst.Entrance = src.Entrance
	}
	if set["floor"] {
		dst.Floor = src.Floor
	}
	if set["language"] {
		dst.PreferredLanguage = src.PreferredLanguage
	}
	if set["immobile"] {
		dst.Immobile = src.Immobile
	}
	if set["notes"] {
		dst.MobilityNotes = src.MobilityNotes
	}
	if set["access"] {
		dst.AccessNotes = src.AccessNotes
	}
	if set["needs"] {
		dst.Needs = src.Needs
	}
	if set["consent"] {
		dst.Consent = src.Consent
	}
	if set["external_id"] && src.ExternalID != "" {
		dst.ExternalID = src.ExternalID
	}
	dst.Active = true
}

// samePlace is how close two points must be to count as unchanged (the
// gazetteer and a hand-placed pin differ by centimetres after rounding).
const samePlaceDeg = 1e-6

func careEqual(a, b *CareAddress) bool {
	return a.FullName == b.FullName && a.Phone == b.Phone && a.AddressText == b.AddressText &&
		a.Flat == b.Flat && a.Entrance == b.Entrance && a.Floor == b.Floor &&
		a.PreferredLanguage == b.PreferredLanguage && a.Immobile == b.Immobile &&
		a.MobilityNotes == b.MobilityNotes && a.AccessNotes == b.AccessNotes &&
		strings.Join(a.Needs, ",") == strings.Join(b.Needs, ",") && a.Consent == b.Consent &&
		a.ExternalID == b.ExternalID && a.Active == b.Active &&
		abs(a.Location.Lon()-b.Location.Lon()) < samePlaceDeg && abs(a.Location.Lat()-b.Location.Lat()) < samePlaceDeg
}

func mergeVolunteer(dst, src *Volunteer, set map[string]bool) {
	if set["name"] {
		dst.FullName = src.FullName
	}
	if set["phone"] {
		dst.Phone = src.Phone
	}
	if set["birth_year"] {
		dst.BirthYear = src.BirthYear
	}
	if set["languages"] {
		dst.Languages = src.Languages
	}
	if set["external_id"] && src.ExternalID != "" {
		dst.ExternalID = src.ExternalID
	}
}

func volunteerEqual(a, b *Volunteer) bool {
	return a.FullName == b.FullName && a.Phone == b.Phone && a.BirthYear == b.BirthYear &&
		strings.Join(a.Languages, ",") == strings.Join(b.Languages, ",") && a.ExternalID == b.ExternalID
}

func mergeTeam(dst, src *Team, set map[string]bool) {
	dst.Name = src.Name
	if set["address"] || set["lat"] {
		dst.Base = src.Base
	}
	if set["vehicle"] {
		dst.HasVehicle = src.HasVehicle
	}
	if set["capacity"] {
		dst.CapacityPackages = src.CapacityPackages
	}
	if set["skills"] {
		dst.Skills = src.Skills
	}
	if set["languages"] {
		dst.Languages = src.Languages
	}
	if set["shift_start"] {
		dst.ShiftStart = src.ShiftStart
	}
	if set["shift_end"] {
		dst.ShiftEnd = src.ShiftEnd
	}
	if set["color"] && src.Color != "" {
		dst.Color = src.Color
	}
	if set["external_id"] && src.ExternalID != "" {
		dst.ExternalID = src.ExternalID
	}
}

func teamEqual(a, b *Team) bool {
	return a.Name == b.Name && a.HasVehicle == b.HasVehicle && a.CapacityPackages == b.CapacityPackages &&
		strings.Join(a.Skills, ",") == strings.Join(b.Skills, ",") && strings.Join(a.Languages, ",") == strings.Join(b.Languages, ",") &&
		a.ShiftStart == b.ShiftStart && a.ShiftEnd == b.ShiftEnd && a.Color == b.Color && a.ExternalID == b.ExternalID &&
		abs(a.Base.Lon()-b.Base.Lon()) < samePlaceDeg && abs(a.Base.Lat()-b.Base.Lat()) < samePlaceDeg
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// RunImport stages imp and, unless dryRun, applies it: the one code path of
// `qamqor import` and the import page's background job. A failure marks the
// import failed and leaves the registry unchanged.
func RunImport(ctx context.Context, st ImportStore, actor *User, imp *Import, header []string, data [][]string, now time.Time, dryRun bool) (ImportCounts, error) {
	counts, err := StageImport(ctx, st, actor, imp, header, data, now)
	if err == nil && !dryRun {
		counts, err = st.ApplyImport(ctx, actor, imp.ID)
	}
	if err != nil {
		if ferr := st.FailImport(context.WithoutCancel(ctx), imp.ID, ErrorMessage(err)); ferr != nil {
			return counts, fmt.Errorf("%w (and marking the import failed: %v)", err, ferr)
		}
		return counts, err
	}
	return counts, nil
}

// RejectsHeader is the header of a rejects file: the line and reason, then
// the original columns, so the file can be corrected and imported again
// (line and reason are not import columns and are ignored then).
func RejectsHeader(header []string, lang string) []string {
	return append([]string{"line", "reason"}, header...)
}

// RejectsRecord is one rejected row of a rejects file in lang.
func RejectsRecord(r ImportRow, lang string) []string {
	return append([]string{strconv.Itoa(r.Line), RejectText(r.Reason, r.ReasonArg, lang)}, r.Cells...)
}
