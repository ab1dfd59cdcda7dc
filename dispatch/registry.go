package dispatch

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// The registry: the people and places behind the work. Admins manage
// organisations, teams and volunteers; dispatchers and admins manage care
// addresses (whose every read and change is audited).

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Validate checks an organisation.
func (o *Organisation) Validate() error {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" || len(o.Name) > 200 {
		return Invalid("name", "Name is required (200 characters at most).")
	}
	for _, k := range OrganisationKinds {
		if o.Kind == k {
			return nil
		}
	}
	return Invalid("kind", "Kind must be one of %s.", strings.Join(OrganisationKinds, ", "))
}

// Validate checks a volunteer; now is used for the birth year range.
func (v *Volunteer) Validate(now time.Time) error {
	v.FullName = strings.TrimSpace(v.FullName)
	if v.FullName == "" || len(v.FullName) > 200 {
		return Invalid("full_name", "Name is required (200 characters at most).")
	}
	if v.BirthYear < now.Year()-100 || v.BirthYear > now.Year()-12 {
		return Invalid("birth_year", "Birth year must be between %d and %d (volunteers are 12 or older).", now.Year()-100, now.Year()-12)
	}
	if v.OrganisationID <= 0 {
		return Invalid("organisation_id", "Organisation is required.")
	}
	for _, l := range v.Languages {
		if len(l) < 2 || len(l) > 3 {
			return Invalid("languages", "Languages are ISO codes such as kk, ru, en.")
		}
	}
	return nil
}

// Validate checks a team.
func (t *Team) Validate(area ServiceArea) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len(t.Name) > 200 {
		return Invalid("name", "Name is required (200 characters at most).")
	}
	if t.OrganisationID <= 0 {
		return Invalid("organisation_id", "Organisation is required.")
	}
	if !area.Contains(t.Base) {
		return Invalid("base", "The base must be inside the service area.")
	}
	if t.CapacityPackages < 0 || t.CapacityPackages > 1000 {
		return Invalid("capacity_packages", "Capacity must be between 0 and 1000 packages.")
	}
	if t.ShiftStart == "" {
		t.ShiftStart = "09:00"
	}
	if t.ShiftEnd == "" {
		t.ShiftEnd = "18:00"
	}
	if !hhmm.MatchString(t.ShiftStart) {
		return Invalid("shift_start", "Shift start must be HH:MM.")
	}
	if !hhmm.MatchString(t.ShiftEnd) || t.ShiftEnd <= t.ShiftStart {
		return Invalid("shift_end", "Shift end must be HH:MM after the start.")
	}
	seen := map[string]bool{}
	skills := t.Skills[:0]
	for _, k := range t.Skills {
		if k = NormalizeSkill(k); k != "" && !seen[k] {
			seen[k] = true
			skills = append(skills, k)
		}
	}
	t.Skills = skills
	if t.Color == "" {
		t.Color = "#3366cc"
	}
	if !regexp.MustCompile(`^#[0-9a-fA-F]{6}$`).MatchString(t.Color) {
		return Invalid("color", "Colour must look like #3366cc.")
	}
	return nil
}

// Skills the planner looks for: snow clearing needs shovels; big food
// deliveries need a car (a team with a vehicle has it implicitly).
const (
	SkillShovels = "shovels"
	SkillCar     = "car"
)

// skillSynonyms maps what people type in Kazakh, Russian or English to the
// planner's skill names.
var skillSynonyms = map[string]string{
	"shovel": SkillShovels, "shovels": SkillShovels, "лопата": SkillShovels, "лопаты": SkillShovels, "күрек": SkillShovels, "күректер": SkillShovels,
	"car": SkillCar, "машина": SkillCar, "автомобиль": SkillCar, "көлік": SkillCar,
	"first aid": "first_aid", "first_aid": "first_aid", "первая помощь": "first_aid", "алғашқы көмек": "first_aid",
}

// NormalizeSkill trims and lower-cases a skill and maps known synonyms
// ("лопата", "shovel") to the planner's names ("shovels").
func NormalizeSkill(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if k, ok := skillSynonyms[s]; ok {
		return k
	}
	return s
}

// Validate is the one check of a care address, whoever saves it (registry,
// hotline, import): it trims the text fields and refuses a missing name or
// address, a pin outside the service area, a language other than kk, ru or
// en, unknown needs and over-long fields.
func (c *CareAddress) Validate(area ServiceArea) error {
	c.FullName = strings.TrimSpace(c.FullName)
	c.AddressText = strings.TrimSpace(c.AddressText)
	c.Phone = strings.TrimSpace(c.Phone)
	c.Entrance = strings.TrimSpace(c.Entrance)
	c.Floor = strings.TrimSpace(c.Floor)
	c.Flat = strings.TrimSpace(c.Flat)
	if c.FullName == "" || len(c.FullName) > 200 {
		return Invalid("full_name", "Name is required (200 characters at most).")
	}
	if c.AddressText == "" || len(c.AddressText) > 500 {
		return Invalid("address", "Address is required (500 characters at most).")
	}
	if !area.Contains(c.Location) {
		return Invalid("lat", "The pin must be inside the service area.")
	}
	switch c.PreferredLanguage {
	case "":
		c.PreferredLanguage = "ru"
	case "kk", "ru", "en":
	default:
		return Invalid("preferred_language", "Language must be kk, ru or en.")
	}
	if len(c.Phone) > 40 || len(c.Entrance) > 20 || len(c.Floor) > 20 || len(c.Flat) > 20 {
		return Invalid("phone", "Phone, entrance, floor or flat is too long.")
	}
	for _, n := range c.Needs {
		if n != NeedSnow && n != NeedFood {
			return Invalid("needs", "Needs are snow and/or food.")
		}
	}
	if len(c.AccessNotes) > 1000 || len(c.MobilityNotes) > 1000 {
		return Invalid("access_notes", "Notes are too long (1000 characters at most).")
	}
	return nil
}

// Page selects a slice of a list and an optional search string.
type Page struct {
	Q      string
	Offset int
	Limit  int
	// Org limits organisation-scoped lists (volunteers, teams) to one
	// organisation; set it from OrgScope.
	Org *int64
}

// RegistryStore keeps organisations, volunteers, teams and care addresses
// for the registry pages. Care address methods audit personal data.
type RegistryStore interface {
	FindOrganisations(ctx context.Context, p Page) ([]*Organisation, int, error)
	SaveOrganisation(ctx context.Context, actor *User, o *Organisation) error
	FindVolunteers(ctx context.Context, p Page) ([]*Volunteer, int, error)
	SaveVolunteer(ctx context.Context, actor *User, v *Volunteer) error
	FindTeamsPage(ctx context.Context, p Page) ([]*Team, int, error)
	FindTeamByID(ctx context.Context, id int64) (*Team, error)
	SaveTeam(ctx context.Context, actor *User, t *Team) error
	FindCareAddresses(ctx context.Context, actor *User, p Page) ([]*CareAddress, int, error)
	FindCareAddressByID(ctx context.Context, actor *User, id int64) (*CareAddress, error)
	SaveCareAddress(ctx context.Context, actor *User, c *CareAddress) error
}
