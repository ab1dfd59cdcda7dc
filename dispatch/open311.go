package dispatch

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) opens the
// intake to other systems: the city's 109 service and e-government portals
// file requests with an API key, and anyone may follow their status. This
// file holds the rules: which services exist, how a report becomes a
// RequestInput (the same one the hotline submits), and what of a request the
// public may see. No pensioner's name, phone, flat or house number, and no
// free text anybody typed, ever leaves through it.

// Text is a message in Kazakh, Russian and English.
type Text struct{ KK, RU, EN string }

// Languages are the languages of Text, in the order they are preferred when
// a client names none.
var Languages = []string{"kk", "ru", "en"}

// In returns the text in lang ("kk", "ru" or "en"); Kazakh for anything
// else, the city's state language.
func (t Text) In(lang string) string {
	switch lang {
	case "ru":
		return t.RU
	case "en":
		return t.EN
	}
	return t.KK
}

// Open311Attribute is one question a service asks beyond the standard
// fields (GeoReport v2 service definition).
type Open311Attribute struct {
	Code        string
	Datatype    string // string, number, datetime, text, singlevaluelist, multivaluelist
	Required    bool
	Description Text
	Order       int
	// Values are the choices of a list attribute: key -> name.
	Values []Open311Value
	// Min and Max bound a number attribute.
	Min, Max int
}

// Open311Value is one choice of a list attribute.
type Open311Value struct {
	Key  string
	Name Text
}

// Open311Service is one service code with its names and attributes.
type Open311Service struct {
	Code        RequestKind
	Name        Text
	Description Text
	Keywords    string
	Group       Text
	Attributes  []Open311Attribute
}

var yesNo = []Open311Value{
	{Key: "yes", Name: Text{"иә", "да", "yes"}},
	{Key: "no", Name: Text{"жоқ", "нет", "no"}},
}

var immobileAttr = Open311Attribute{
	Code: "immobile", Datatype: "singlevaluelist", Order: 1, Values: yesNo,
	Description: Text{
		KK: "Тұрғын үйден көмексіз шыға алмай ма?",
		RU: "Жилец не может выйти из дома без помощи?",
		EN: "Is the resident unable to leave home unaided?",
	},
}

// Open311Services are the services the intake offers, one per request kind.
var Open311Services = []Open311Service{
	{
		Code:     SnowClearing,
		Name:     Text{"Қар тазалау", "Уборка снега", "Snow clearing"},
		Keywords: "snow, yard, path, қар, снег",
		Group:    Text{"Еріктілер көмегі", "Помощь волонтёров", "Volunteer help"},
		Description: Text{
			KK: "Еріктілер жалғыз тұратын қарттың ауласы мен жолын қардан тазартады.",
			RU: "Волонтёры расчистят от снега двор и дорожку одинокого пожилого жителя.",
			EN: "Volunteers clear the yard and path of a lone elderly resident of snow.",
		},
		Attributes: []Open311Attribute{immobileAttr},
	},
	{
		Code:     FoodDelivery,
		Name:     Text{"Азық-түлік жеткізу", "Доставка продуктов", "Food delivery"},
		Keywords: "food, package, азық, продукты",
		Group:    Text{"Еріктілер көмегі", "Помощь волонтёров", "Volunteer help"},
		Description: Text{
			KK: "Еріктілер үйден шыға алмайтын тұрғынға азық-түлік пакетін жеткізеді.",
			RU: "Волонтёры доставят продуктовый набор жителю, который не может выйти из дома.",
			EN: "Volunteers deliver a food package to a resident who cannot go out.",
		},
		Attributes: []Open311Attribute{
			immobileAttr,
			{Code: "packages", Datatype: "number", Order: 2, Min: 1, Max: 20,
				Description: Text{
					KK: "Қанша пакет керек (1-20)?",
					RU: "Сколько наборов нужно (1-20)?",
					EN: "How many packages are needed (1-20)?",
				}},
		},
	},
	{
		Code:     OtherKind,
		Name:     Text{"Басқа көмек", "Другая помощь", "Other help"},
		Keywords: "help, көмек, помощь",
		Group:    Text{"Еріктілер көмегі", "Помощь волонтёров", "Volunteer help"},
		Description: Text{
			KK: "Еріктілер басқа тұрмыстық көмек көрсетеді; не керектігін сипаттаңыз.",
			RU: "Волонтёры помогут с другим бытовым делом; опишите, что нужно.",
			EN: "Volunteers help with another household task; describe what is needed.",
		},
		Attributes: []Open311Attribute{immobileAttr},
	},
}

// FindOpen311Service returns the service with code, or ENOTFOUND.
func FindOpen311Service(code string) (*Open311Service, error) {
	for i := range Open311Services {
		if string(Open311Services[i].Code) == code {
			return &Open311Services[i], nil
		}
	}
	return nil, Errorf(ENOTFOUND, "There is no service %q: use snow_clearing, food_delivery or other.", code)
}

// Open311Input is a POST requests.json as the spec names its fields.
type Open311Input struct {
	ServiceCode   string
	Lat, Long     *float64
	AddressString string
	AddressID     string
	Description   string
	FirstName     string
	LastName      string
	Phone         string
	Email         string
	DeviceID      string
	AccountID     string
	MediaURL      string
	// Attributes are the attribute[CODE]=VALUE fields.
	Attributes map[string]string
}

// Limits of the free-text fields of an Open311 report.
const (
	maxOpen311Field       = 200
	maxOpen311Description = 2000
)

// RequestInput checks a report and turns it into the input the hotline
// submits too, with source api. The location comes from lat/long or, when
// only address_string is given, from the geocoder (the caller fills Lat and
// Long first). The submitter's contact details go into the notes, which only
// dispatchers see. An immobile resident makes the request high priority.
func (in *Open311Input) RequestInput(keyID int64) (RequestInput, error) {
	svc, err := FindOpen311Service(in.ServiceCode)
	if err != nil {
		return RequestInput{}, Invalid("service_code", "There is no service %q: use snow_clearing, food_delivery or other.", in.ServiceCode)
	}
	if in.Lat == nil && in.AddressString == "" {
		return RequestInput{}, Invalid("lat", "Give lat and long, or address_string.")
	}
	for name, v := range map[string]string{"address_string": in.AddressString, "first_name": in.FirstName,
		"last_name": in.LastName, "phone": in.Phone, "email": in.Email, "device_id": in.DeviceID,
		"account_id": in.AccountID, "media_url": in.MediaURL, "address_id": in.AddressID} {
		if utf8.RuneCountInString(v) > maxOpen311Field || !utf8.ValidString(v) {
			return RequestInput{}, Invalid(name, "%s is too long (%d characters at most) or not valid text.", name, maxOpen311Field)
		}
	}
	if utf8.RuneCountInString(in.Description) > maxOpen311Description || !utf8.ValidString(in.Description) {
		return RequestInput{}, Invalid("description", "description is too long (%d characters at most).", maxOpen311Description)
	}
	if in.Email != "" {
		if _, err := mail.ParseAddress(in.Email); err != nil {
			return RequestInput{}, Invalid("email", "email %q is not an e-mail address.", in.Email)
		}
	}
	if svc.Code == OtherKind && strings.TrimSpace(in.Description) == "" {
		return RequestInput{}, Invalid("description", "Describe what is needed: description is required for service other.")
	}
	out := RequestInput{Kind: svc.Code, Source: SourceAPI, Priority: Normal, AddressText: strings.TrimSpace(in.AddressString),
		Lat: in.Lat, Lon: in.Long, APIKeyID: &keyID}
	known := map[string]Open311Attribute{}
	for _, a := range svc.Attributes {
		known[a.Code] = a
	}
	for code, v := range in.Attributes {
		a, ok := known[code]
		if !ok {
			return RequestInput{}, Invalid("attribute["+code+"]", "Service %s has no attribute %q.", svc.Code, code)
		}
		switch a.Datatype {
		case "singlevaluelist":
			if !hasValue(a.Values, v) {
				return RequestInput{}, Invalid("attribute["+code+"]", "attribute[%s] must be one of %s.", code, valueKeys(a.Values))
			}
			if code == "immobile" && v == "yes" {
				out.Priority = High
			}
		case "number":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < a.Min || n > a.Max {
				return RequestInput{}, Invalid("attribute["+code+"]", "attribute[%s] must be a whole number from %d to %d.", code, a.Min, a.Max)
			}
			if code == "packages" {
				out.Packages = n
			}
		}
	}
	for _, a := range svc.Attributes {
		if _, ok := in.Attributes[a.Code]; a.Required && !ok {
			return RequestInput{}, Invalid("attribute["+a.Code+"]", "attribute[%s] is required.", a.Code)
		}
	}
	var notes []string
	if d := strings.TrimSpace(in.Description); d != "" {
		notes = append(notes, d)
	}
	var contact []string
	for _, v := range []string{strings.TrimSpace(in.FirstName + " " + in.LastName), in.Phone, in.Email} {
		if v = strings.TrimSpace(v); v != "" {
			contact = append(contact, v)
		}
	}
	if len(contact) > 0 {
		notes = append(notes, "Open311 contact: "+strings.Join(contact, ", "))
	}
	if in.AccountID != "" || in.DeviceID != "" {
		notes = append(notes, fmt.Sprintf("Open311 account_id=%s device_id=%s", in.AccountID, in.DeviceID))
	}
	if in.MediaURL != "" {
		notes = append(notes, "Media: "+in.MediaURL)
	}
	out.Notes = strings.Join(notes, "\n")
	return out, nil
}

func hasValue(vs []Open311Value, key string) bool {
	for _, v := range vs {
		if v.Key == key {
			return true
		}
	}
	return false
}

func valueKeys(vs []Open311Value) string {
	keys := make([]string, len(vs))
	for i, v := range vs {
		keys[i] = v.Key
	}
	return strings.Join(keys, ", ")
}

// Open311Status is the spec's status of a request: closed once it is done
// or cancelled, open while anything may still happen (a failed visit is
// tried again).
func Open311Status(s RequestStatus) string {
	if s == StatusDone || s == StatusCancelled {
		return "closed"
	}
	return "open"
}

// Open311StatusesFor returns the request statuses behind an Open311 status,
// or EINVALID for anything but open and closed.
func Open311StatusesFor(s string) ([]RequestStatus, error) {
	switch s {
	case "open":
		return []RequestStatus{StatusNew, StatusPlanned, StatusAssigned, StatusInProgress, StatusFailed}, nil
	case "closed":
		return []RequestStatus{StatusDone, StatusCancelled}, nil
	}
	return nil, Invalid("status", "status must be open or closed, not %q.", s)
}

// statusNotes explain each status to the public. They name no person and
// quote nothing anybody typed.
var statusNotes = map[RequestStatus]Text{
	StatusNew:        {"Өтінім қабылданды, еріктілер тобын күтуде.", "Заявка принята и ждёт команду волонтёров.", "Received; waiting for a volunteer team."},
	StatusPlanned:    {"Өтінім бағыт жоспарына енгізілді.", "Заявка включена в план маршрутов.", "Included in a route plan."},
	StatusAssigned:   {"Өтінім еріктілер тобына берілді.", "Заявка передана команде волонтёров.", "Assigned to a volunteer team."},
	StatusInProgress: {"Еріктілер орнында жұмыс істеп жатыр.", "Волонтёры работают на месте.", "Volunteers are on site."},
	StatusDone:       {"Орындалды.", "Выполнено.", "Done."},
	StatusFailed:     {"Барған кезде есік ашылмады; өтінім қайта жоспарланады.", "При визите никто не открыл; заявка будет запланирована снова.", "Nobody could be reached on the visit; it will be planned again."},
	StatusCancelled:  {"Өтінім жабылды.", "Заявка отменена.", "Cancelled."},
}

// StatusNote is the public explanation of s in lang.
func StatusNote(s RequestStatus, lang string) string { return statusNotes[s].In(lang) }

// PublicRequest is everything the public sees of a request: the kind, the
// status, the times, the street and a location rounded to a grid cell of
// PublicGridDeg. It has no field that could hold personal data.
type PublicRequest struct {
	ID        int64
	Kind      RequestKind
	Status    RequestStatus
	Street    string
	Location  orb.Point
	CreatedAt time.Time
	UpdatedAt time.Time
	// ExpectedAt is the ETA of the request's live stop, if any.
	ExpectedAt *time.Time
}

// PublicGridDeg is the cell a public location is rounded to: 0.005° is
// about 550 m north-south and 350 m east-west in Astana, a few blocks, so
// no single house can be told.
const PublicGridDeg = 0.005

// CoarsenPoint rounds p to the centre of its PublicGridDeg cell.
func CoarsenPoint(p orb.Point) orb.Point {
	cell := func(v float64) float64 {
		c := math.Floor(v/PublicGridDeg)*PublicGridDeg + PublicGridDeg/2
		return math.Round(c*1e6) / 1e6
	}
	return orb.Point{cell(p[0]), cell(p[1])}
}

// flatWords start the flat, entrance or house part of an address in the
// languages people type.
var flatWords = regexp.MustCompile(`(?i)(^|[\s,])(кв|квартира|пәтер|flat|apt|apartment|подъезд|под|кіреберіс|этаж|қабат|floor|дом|д|үй|house|корпус|блок|block)\.?(\s|\d|$)`)

// StreetOnly cuts an address down to its street: everything from the first
// comma, from a flat/house word, and every word holding a digit (a house
// number such as 40, 12/1 or 40А) goes. What remains may be empty.
func StreetOnly(address string) string {
	s := address
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	if loc := flatWords.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	var words []string
	for _, w := range strings.Fields(s) {
		if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// PublicRequestFilter selects public requests (GET requests.json).
type PublicRequestFilter struct {
	IDs      []int64
	Kinds    []RequestKind
	Statuses []RequestStatus
	// From and To bound the creation time; To is exclusive.
	From, To *time.Time
	Limit    int
}

// Open311 list limits: the spec's defaults of 90 days and 1,000 requests.
const (
	Open311DefaultDays = 90
	Open311MaxResults  = 1000
)

// APIKey is an organisation's key to the Open311 intake. Only its hash is
// stored; the secret is shown once, when it is created.
type APIKey struct {
	ID               int64      `json:"id"`
	OrganisationID   int64      `json:"organisation_id"`
	OrganisationName string     `json:"organisation_name"`
	Name             string     `json:"name"`
	Prefix           string     `json:"prefix"`
	RatePerMinute    int        `json:"rate_per_minute"`
	CreatedAt        time.Time  `json:"created_at"`
	LastUsedAt       *time.Time `json:"last_used_at,omitempty"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
}

// APIKeyInput creates a key.
type APIKeyInput struct {
	OrganisationID int64  `json:"organisation_id"`
	Name           string `json:"name"`
	RatePerMinute  int    `json:"rate_per_minute"`
}

// DefaultAPIKeyRate is the requests per minute of a key made without one.
const DefaultAPIKeyRate = 60

// Normalize validates the input and fills the default rate.
func (in *APIKeyInput) Normalize() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.OrganisationID <= 0 {
		return Invalid("organisation_id", "Choose the organisation the key is for.")
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		return Invalid("name", "Name the key (1-200 characters), e.g. \"109 portal\".")
	}
	if in.RatePerMinute == 0 {
		in.RatePerMinute = DefaultAPIKeyRate
	}
	if in.RatePerMinute < 1 || in.RatePerMinute > 100000 {
		return Invalid("rate_per_minute", "The rate must be between 1 and 100000 requests a minute.")
	}
	return nil
}

// apiKeyPrefix marks Qamqor keys so they are recognised in logs and leaks.
const apiKeyPrefix = "qk_"

// NewAPIKeySecret returns a fresh secret key, its hash and the prefix shown
// to admins.
func NewAPIKeySecret() (secret string, hash []byte, prefix string, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", nil, "", fmt.Errorf("random api key: %w", err)
	}
	secret = apiKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashAPIKey(secret), secret[:len(apiKeyPrefix)+6], nil
}

// HashAPIKey is what the store keeps of a key: its SHA-256. A key is 192
// random bits, so a plain fast hash is enough (no guessing to slow down).
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// APIKeyStore keeps API keys.
type APIKeyStore interface {
	// CreateAPIKey stores a new key and returns it with its secret, which
	// is not kept. EINVALID for an unknown organisation.
	CreateAPIKey(ctx context.Context, in APIKeyInput) (*APIKey, string, error)
	// FindAPIKey returns the live key with this secret and notes its use;
	// EFORBIDDEN for an unknown or revoked key.
	FindAPIKey(ctx context.Context, secret string) (*APIKey, error)
	// FindAPIKeys lists every key, newest first.
	FindAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey revokes a key; ENOTFOUND when missing. Revoking twice
	// is not an error.
	RevokeAPIKey(ctx context.Context, id int64) (*APIKey, error)
	// FindPublicRequests returns the public view of the matching requests,
	// newest first.
	FindPublicRequests(ctx context.Context, f PublicRequestFilter) ([]*PublicRequest, error)
}

// CityTime is t in Astana's time zone, as times are shown to the public.
func CityTime(t time.Time) time.Time { return t.In(cityZone) }
