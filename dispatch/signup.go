package dispatch

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Volunteer sign-up. Anyone may apply to an organisation on the public
// page; nothing reaches a team until the organisation's coordinator (or an
// admin) approves, which creates the volunteer. The page answers every
// well-formed application the same way, whether or not the person already
// applied or volunteers somewhere, so it cannot be used to learn who is
// registered (no account enumeration); the web layer rate-limits it.

// MinVolunteerAge is the youngest age accepted on the sign-up page.
const MinVolunteerAge = 12

// ApplicationStatus is where an application is.
type ApplicationStatus string

// Application statuses.
const (
	ApplicationPending  ApplicationStatus = "pending"
	ApplicationApproved ApplicationStatus = "approved"
	ApplicationRejected ApplicationStatus = "rejected"
)

// ApplicationInput is what the sign-up form sends.
type ApplicationInput struct {
	OrganisationID  int64    `json:"organisation_id"`
	FullName        string   `json:"full_name"`
	BirthDate       string   `json:"birth_date"` // YYYY-MM-DD
	Phone           string   `json:"phone"`
	Languages       []string `json:"languages"`
	Motivation      string   `json:"motivation"`
	GuardianName    string   `json:"guardian_name"`
	GuardianPhone   string   `json:"guardian_phone"`
	GuardianConsent bool     `json:"guardian_consent"`
	// Consent is the applicant's agreement to the processing of the data
	// given, required from everyone.
	Consent bool `json:"consent"`
}

var phoneRE = regexp.MustCompile(`^\+?[0-9 ()\-]{10,20}$`)

// validPhone accepts 10 to 15 digits with the usual separators.
func validPhone(p string) bool {
	if !phoneRE.MatchString(p) {
		return false
	}
	n := 0
	for _, r := range p {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n >= 10 && n <= 15
}

// AgeOn returns the age in whole years on day now of someone born on birth.
func AgeOn(birth, now time.Time) int {
	now = now.In(cityZone)
	age := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		age--
	}
	return age
}

// Normalize trims and checks the application. An applicant under AdultAge
// on now needs a parent's or guardian's name, phone and consent.
func (in *ApplicationInput) Normalize(now time.Time) error {
	in.FullName = strings.Join(strings.Fields(in.FullName), " ")
	in.Phone = strings.TrimSpace(in.Phone)
	in.Motivation = strings.TrimSpace(in.Motivation)
	in.GuardianName = strings.Join(strings.Fields(in.GuardianName), " ")
	in.GuardianPhone = strings.TrimSpace(in.GuardianPhone)
	if in.OrganisationID <= 0 {
		return Invalid("organisation_id", "Choose an organisation.")
	}
	if in.FullName == "" || utf8.RuneCountInString(in.FullName) > 200 {
		return Invalid("full_name", "Your full name is required (200 characters at most).")
	}
	birth, err := ParseLocalDate("birth_date", in.BirthDate)
	if err != nil {
		return err
	}
	age := AgeOn(birth, now)
	if age < MinVolunteerAge || age > 100 {
		return Invalid("birth_date", "Volunteers must be at least %d years old.", MinVolunteerAge)
	}
	if !validPhone(in.Phone) {
		return Invalid("phone", "Give a phone number with 10 to 15 digits, e.g. +7 701 234 5678.")
	}
	if utf8.RuneCountInString(in.Motivation) > 2000 {
		return Invalid("motivation", "Tell us in 2000 characters at most.")
	}
	langs := in.Languages[:0]
	for _, l := range in.Languages {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" {
			continue
		}
		if len(l) < 2 || len(l) > 3 {
			return Invalid("languages", "Languages are ISO codes such as kk, ru, en.")
		}
		langs = append(langs, l)
	}
	in.Languages = langs
	if age < AdultAge {
		if in.GuardianName == "" || utf8.RuneCountInString(in.GuardianName) > 200 {
			return Invalid("guardian_name", "Under 18: a parent's or guardian's name is required.")
		}
		if !validPhone(in.GuardianPhone) {
			return Invalid("guardian_phone", "Under 18: a parent's or guardian's phone is required (10 to 15 digits).")
		}
		if !in.GuardianConsent {
			return Invalid("guardian_consent", "Under 18: the parent's or guardian's consent is required.")
		}
	} else {
		in.GuardianName, in.GuardianPhone, in.GuardianConsent = "", "", false
	}
	if !in.Consent {
		return Invalid("consent", "Please agree to the processing of the data you give.")
	}
	return nil
}

// Application is a stored sign-up, as the coordinator reviews it.
type Application struct {
	ID              int64             `json:"id"`
	OrganisationID  int64             `json:"organisation_id"`
	FullName        string            `json:"full_name"`
	BirthDate       string            `json:"birth_date"`
	Minor           bool              `json:"minor"`
	Phone           string            `json:"phone"`
	Languages       []string          `json:"languages"`
	Motivation      string            `json:"motivation,omitempty"`
	GuardianName    string            `json:"guardian_name,omitempty"`
	GuardianPhone   string            `json:"guardian_phone,omitempty"`
	GuardianConsent bool              `json:"guardian_consent"`
	Status          ApplicationStatus `json:"status"`
	VolunteerID     *int64            `json:"volunteer_id,omitempty"`
	DecidedAt       *time.Time        `json:"decided_at,omitempty"`
	DecisionNote    string            `json:"decision_note,omitempty"`
	CreatedAt       time.Time         `json:"created_at"`
}

// DecisionInput approves or rejects an application.
type DecisionInput struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note"`
}

// Normalize checks the note.
func (in *DecisionInput) Normalize() error {
	in.Note = strings.TrimSpace(in.Note)
	if len(in.Note) > 1000 {
		return Invalid("note", "The note is too long (1000 characters at most).")
	}
	return nil
}

// ApplicationFilter selects applications.
type ApplicationFilter struct {
	Status ApplicationStatus
	Limit  int
}

// ApplicationStore keeps sign-ups.
type ApplicationStore interface {
	// SignupOrganisations lists the organisations a person may apply to
	// (id and name only; public).
	SignupOrganisations(ctx context.Context) ([]Organisation, error)
	// SubmitApplication stores a normalised application. A second pending
	// application with the same phone to the same organisation stores
	// nothing and returns nil, like the first; an unknown organisation is
	// EINVALID.
	SubmitApplication(ctx context.Context, in ApplicationInput) error
	// FindApplications lists applications in actor's organisation scope,
	// oldest pending first, each one audited as a read (actor, source
	// address, the fields shown). EFORBIDDEN without ActReviewApplications.
	FindApplications(ctx context.Context, actor *User, f ApplicationFilter) ([]*Application, error)
	// DecideApplication approves (creating the volunteer) or rejects a
	// pending application. EFORBIDDEN outside actor's organisation,
	// ENOTFOUND, ECONFLICT when already decided.
	DecideApplication(ctx context.Context, actor *User, id int64, in DecisionInput) (*Application, error)
}

// SignupThrottle counts sign-up posts per client address where every server
// instance sees the same count (the PostgreSQL store implements it).
type SignupThrottle interface {
	// TakeSignup counts one post from client at now and returns 0, or,
	// when client has sent per posts in the current window, how long
	// until the window ends (the post is then not counted).
	TakeSignup(ctx context.Context, client string, now time.Time, per int, window time.Duration) (time.Duration, error)
}
