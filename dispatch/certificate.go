package dispatch

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Certificates: a signed statement that a volunteer gave so many verified
// hours and visits over a period. The figures come from VerifiedHours and
// CountVisits when it is issued and are stored with the certificate; the
// Ed25519 signature covers them (Payload), so a record changed afterwards
// fails verification. GET /verify/{code} shows, without a login, whether a
// certificate is valid or revoked, with the same figures and nothing else
// personal; the public key is at /verify/key.

// Certificate is one issued certificate.
type Certificate struct {
	ID               int64      `json:"-"`
	Code             string     `json:"code"`
	VolunteerID      int64      `json:"volunteer_id"`
	OrganisationID   int64      `json:"organisation_id"`
	VolunteerName    string     `json:"volunteer"`
	OrganisationName string     `json:"organisation"`
	From             string     `json:"from"` // YYYY-MM-DD, Astana
	To               string     `json:"to"`
	Seconds          int64      `json:"seconds"`
	Visits           int        `json:"visits"`
	Language         string     `json:"language"`
	IssuedAt         time.Time  `json:"issued_at"`
	KeyID            int64      `json:"key_id"`
	Signature        []byte     `json:"-"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	RevokeReason     string     `json:"revoke_reason,omitempty"`
}

// Hours is Seconds as hours with two decimals.
func (c *Certificate) Hours() string { return FormatHours(c.Seconds) }

// Payload is the canonical text the signature covers: one key=value line
// per figure, in a fixed order, values with newlines escaped.
func (c *Certificate) Payload() []byte {
	esc := strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace
	var b strings.Builder
	b.WriteString("qamqor-certificate-v1\n")
	line := func(k, v string) { b.WriteString(k + "=" + esc(v) + "\n") }
	line("code", c.Code)
	line("volunteer_id", strconv.FormatInt(c.VolunteerID, 10))
	line("volunteer", c.VolunteerName)
	line("organisation_id", strconv.FormatInt(c.OrganisationID, 10))
	line("organisation", c.OrganisationName)
	line("from", c.From)
	line("to", c.To)
	line("seconds", strconv.FormatInt(c.Seconds, 10))
	line("visits", strconv.Itoa(c.Visits))
	line("issued_at", c.IssuedAt.UTC().Format(time.RFC3339))
	line("key_id", strconv.FormatInt(c.KeyID, 10))
	return []byte(b.String())
}

// Sign sets c.Signature with key.
func (c *Certificate) Sign(key ed25519.PrivateKey) { c.Signature = ed25519.Sign(key, c.Payload()) }

// Verify reports whether c's signature matches its figures under pub.
func (c *Certificate) Verify(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && len(c.Signature) == ed25519.SignatureSize &&
		ed25519.Verify(pub, c.Payload(), c.Signature)
}

// CertificateStatus is what the verification page says.
type CertificateStatus string

// Verification outcomes.
const (
	CertificateValid    CertificateStatus = "valid"
	CertificateRevoked  CertificateStatus = "revoked"
	CertificateTampered CertificateStatus = "invalid"
)

// Status is valid, revoked (signature fine, withdrawn) or invalid (the
// record does not match its signature).
func (c *Certificate) Status(pub ed25519.PublicKey) CertificateStatus {
	if !c.Verify(pub) {
		return CertificateTampered
	}
	if c.RevokedAt != nil {
		return CertificateRevoked
	}
	return CertificateValid
}

// codeAlphabet is Crockford's base32 without I, L, O and U: codes are read
// aloud and typed from paper.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewCertificateCode returns a random code like "7K3M-Q9XD-2HTP" (60 bits).
func NewCertificateCode() (string, error) {
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("certificate code: %w", err)
	}
	var b strings.Builder
	for i, x := range raw {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return b.String(), nil
}

// NormalizeCertificateCode upper-cases a typed code and checks its shape;
// EINVALID (never ENOTFOUND) for a malformed one.
func NormalizeCertificateCode(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 14 {
		return "", Invalid("code", "A certificate code looks like 7K3M-Q9XD-2HTP.")
	}
	for i, r := range s {
		if i == 4 || i == 9 {
			if r != '-' {
				return "", Invalid("code", "A certificate code looks like 7K3M-Q9XD-2HTP.")
			}
			continue
		}
		if !strings.ContainsRune(codeAlphabet, r) {
			return "", Invalid("code", "A certificate code looks like 7K3M-Q9XD-2HTP.")
		}
	}
	return s, nil
}

// CertificateInput is the body of POST /api/certificates.
type CertificateInput struct {
	VolunteerID int64  `json:"volunteer_id"`
	From        string `json:"from"`
	To          string `json:"to"`
	// Language of the PDF: kk, ru (default) or en.
	Language string `json:"language"`
}

// Normalize checks the input and returns the range. to may not be in the
// future: a certificate states hours already given.
func (in *CertificateInput) Normalize(now time.Time) (ReportRange, error) {
	if in.VolunteerID <= 0 {
		return ReportRange{}, Invalid("volunteer_id", "volunteer_id is required.")
	}
	if in.From == "" {
		return ReportRange{}, Invalid("from", "from is required (YYYY-MM-DD).")
	}
	if in.To == "" {
		return ReportRange{}, Invalid("to", "to is required (YYYY-MM-DD).")
	}
	r, err := ParseReportRange(in.From, in.To, now)
	if err != nil {
		return r, err
	}
	if LocalDate(r.To) > LocalDate(now) {
		return r, Invalid("to", "The period cannot end in the future.")
	}
	in.Language = strings.ToLower(strings.TrimSpace(in.Language))
	switch in.Language {
	case "":
		in.Language = "ru"
	case "kk", "ru", "en":
	default:
		return r, Invalid("language", "language must be kk, ru or en.")
	}
	return r, nil
}

// RevokeInput is the body of a revocation.
type RevokeInput struct {
	Reason string `json:"reason"`
}

// Normalize checks the reason.
func (in *RevokeInput) Normalize() error {
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		return Invalid("reason", "Say why the certificate is revoked.")
	}
	if len(in.Reason) > 500 {
		return Invalid("reason", "The reason is too long (500 characters at most).")
	}
	return nil
}

// CertificateStore issues, finds and revokes certificates.
type CertificateStore interface {
	// IssueCertificate computes the volunteer's verified figures over r,
	// signs and stores the certificate. ENOTFOUND for an unknown
	// volunteer, EFORBIDDEN unless admin or the volunteer's coordinator.
	IssueCertificate(ctx context.Context, actor *User, in CertificateInput, r ReportRange) (*Certificate, error)
	// FindCertificate returns the certificate with code, ENOTFOUND.
	FindCertificate(ctx context.Context, code string) (*Certificate, error)
	// FindCertificates lists certificates in actor's organisation scope,
	// newest first.
	FindCertificates(ctx context.Context, actor *User, p Page) ([]*Certificate, int, error)
	// RevokeCertificate withdraws a certificate. EFORBIDDEN as for issuing,
	// ECONFLICT when already revoked.
	RevokeCertificate(ctx context.Context, actor *User, code string, in RevokeInput) (*Certificate, error)
	// PublicKey returns the verification key of key id.
	PublicKey(ctx context.Context, id int64) (ed25519.PublicKey, error)
	// CurrentPublicKey returns the key new certificates are signed with.
	CurrentPublicKey(ctx context.Context) (int64, ed25519.PublicKey, error)
}
