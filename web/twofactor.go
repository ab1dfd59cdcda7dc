package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/qamqor/qamqor/dispatch"
)

// Two-factor login. After the password, a user who has TOTP (or whose role
// an admin made require it) gets no session but a login ticket in the
// qamqor_login cookie (HttpOnly, 5 minutes, dispatch.MaxSecondFactorTries
// codes). The ticket is redeemed with a TOTP code or a recovery code, or,
// for a user who must enrol, with the first code of a new secret shown as
// QR and text; enrolment hands out ten one-time recovery codes, of which
// only hashes are stored. The code maths is pquerna/otp (RFC 6238, SHA-1,
// 6 digits, 30 s, one step of clock skew); a step once accepted is never
// accepted again.

// TicketCookie carries a login waiting for its second factor.
const TicketCookie = "qamqor_login"

// totpIssuer names the service in authenticator apps.
const totpIssuer = "Qamqor"

// recoveryCodeCount is how many recovery codes enrolment hands out.
const recoveryCodeCount = 10

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// registerTwoFactorRoutes adds the second login step (no session yet).
func (s *Server) registerTwoFactorRoutes(r chi.Router) {
	r.Post("/api/login/totp", s.handleAPILoginTOTP)
	r.Get("/api/login/enrol", s.handleAPIEnrolStart)
	r.Post("/api/login/enrol", s.handleAPIEnrolFinish)
	r.Post("/login/totp", s.handleLoginTOTPForm)
	r.Post("/login/enrol", s.handleLoginEnrolForm)
}

// registerSecurityRoutes adds the admins' security settings.
func (s *Server) registerSecurityRoutes(r chi.Router) {
	r.Get("/api/security/settings", s.handleSecuritySettings)
	r.Put("/api/security/settings", s.handleSecuritySettingsSave)
	r.Delete("/api/users/{id}/totp", s.handleTOTPReset)
}

// secondFactorFor reports what u must still give after the password.
func (s *Server) secondFactorFor(r *http.Request, u *dispatch.User) (dispatch.SecondFactor, error) {
	if s.TwoFactor == nil {
		return dispatch.NoSecondFactor, nil
	}
	settings, err := s.TwoFactor.SecuritySettings(r.Context())
	if err != nil {
		return "", err
	}
	on, err := s.TwoFactor.TOTPEnabled(r.Context(), u.ID)
	if err != nil {
		return "", err
	}
	return dispatch.NeedsSecondFactor(u, on, settings), nil
}

// startSecondFactor issues the login ticket.
func (s *Server) startSecondFactor(w http.ResponseWriter, r *http.Request, u *dispatch.User) error {
	token, err := s.TwoFactor.CreateLoginTicket(r.Context(), u.ID)
	if err != nil {
		return err
	}
	s.setTicketCookie(w, token)
	return nil
}

func (s *Server) setTicketCookie(w http.ResponseWriter, token string) {
	c := &http.Cookie{Name: TicketCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteStrictMode}
	if token == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(dispatch.LoginTicketTTL.Seconds())
	}
	http.SetCookie(w, c)
}

// ticketUser redeems one try of the request's login ticket.
func (s *Server) ticketUser(r *http.Request) (*dispatch.User, string, error) {
	if s.TwoFactor == nil {
		return nil, "", dispatch.Errorf(dispatch.ENOTFOUND, "Two-factor login is not configured on this server.")
	}
	c, err := r.Cookie(TicketCookie)
	if err != nil || c.Value == "" {
		return nil, "", dispatch.Errorf(dispatch.EUNAUTHORIZED, "This login has expired or had too many wrong codes; log in again.")
	}
	u, err := s.TwoFactor.UseLoginTicket(r.Context(), c.Value)
	return u, c.Value, err
}

// checkCode accepts a current TOTP code (once) or an unused recovery code.
func (s *Server) checkCode(r *http.Request, u *dispatch.User, secret, code string) error {
	code = strings.TrimSpace(code)
	wrong := dispatch.Errorf(dispatch.EUNAUTHORIZED, "Wrong or already used code.")
	if len(code) == 6 && strings.Trim(code, "0123456789") == "" {
		step, ok := matchTOTP(secret, code, time.Now())
		if !ok {
			return wrong
		}
		fresh, err := s.TwoFactor.UseTOTPStep(r.Context(), u.ID, step)
		if err != nil {
			return err
		}
		if !fresh {
			return wrong
		}
		return nil
	}
	ok, err := s.TwoFactor.UseRecoveryCode(r.Context(), u.ID, recoveryHash(code))
	if err != nil {
		return err
	}
	if !ok {
		return wrong
	}
	return nil
}

// matchTOTP returns the 30-second step whose code equals code, trying the
// current step and one either side for clock skew.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	for _, off := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(off) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / 30, true
		}
	}
	return 0, false
}

// newRecoveryCodes returns codes of 80 random bits, as xxxx-xxxx-xxxx-xxxx,
// and their hashes.
func newRecoveryCodes() ([]string, [][]byte) {
	codes := make([]string, recoveryCodeCount)
	hashes := make([][]byte, recoveryCodeCount)
	for i := range codes {
		var b [10]byte
		_, _ = rand.Read(b[:])
		s := strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		hashes[i] = recoveryHash(codes[i])
	}
	return codes, hashes
}

// recoveryHash is the stored form of a recovery code, ignoring case,
// dashes and spaces.
func recoveryHash(code string) []byte {
	norm := strings.NewReplacer("-", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte("qamqor-recovery:" + norm))
	return h[:]
}

// enrolment is what the enrolment step shows.
type enrolment struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QR         string `json:"qr"` // a data: URL of a PNG
}

// beginEnrolment returns u's pending secret, creating one, as QR and text.
func (s *Server) beginEnrolment(r *http.Request, u *dispatch.User) (*enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Username})
	if err != nil {
		return nil, err
	}
	secret, err := s.TwoFactor.BeginTOTP(r.Context(), u.ID, key.Secret())
	if err != nil {
		return nil, err
	}
	v := url.Values{"secret": {secret}, "issuer": {totpIssuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	u2 := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + u.Username, RawQuery: v.Encode()}
	k, err := otp.NewKeyFromURL(u2.String())
	if err != nil {
		return nil, err
	}
	img, err := k.Image(220, 220)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &enrolment{Secret: secret, OTPAuthURL: k.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// finishEnrolment checks the first code of the pending secret, enables
// TOTP and returns the recovery codes.
func (s *Server) finishEnrolment(r *http.Request, u *dispatch.User, code string) ([]string, error) {
	secret, err := s.TwoFactor.TOTPSecret(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, strings.TrimSpace(code), time.Now())
	if !ok {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Wrong or already used code.")
	}
	if fresh, err := s.TwoFactor.UseTOTPStep(r.Context(), u.ID, step); err != nil {
		return nil, err
	} else if !fresh {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Wrong or already used code.")
	}
	codes, hashes := newRecoveryCodes()
	if err := s.TwoFactor.EnableTOTP(r.Context(), u.ID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// codeInput is the body of the second-step API calls.
type codeInput struct {
	Code string `json:"code"`
}

func (s *Server) handleAPILoginTOTP(w http.ResponseWriter, r *http.Request) {
	var in codeInput
	if err := decodeJSON(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	sess, err := s.redeemTOTP(w, r, in.Code)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.me(sess))
}

// redeemTOTP checks the code against the ticket's user and logs in.
func (s *Server) redeemTOTP(w http.ResponseWriter, r *http.Request, code string) (*session, error) {
	u, ticket, err := s.ticketUser(r)
	if err != nil {
		return nil, err
	}
	secret, err := s.TwoFactor.TOTPSecret(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	if on, err := s.TwoFactor.TOTPEnabled(r.Context(), u.ID); err != nil {
		return nil, err
	} else if !on {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Two-factor login is not set up.")
	}
	if err := s.checkCode(r, u, secret, code); err != nil {
		return nil, err
	}
	_ = s.TwoFactor.DeleteLoginTicket(r.Context(), ticket)
	s.setTicketCookie(w, "")
	return s.startSession(w, r, u)
}

func (s *Server) handleAPIEnrolStart(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.ticketUser(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	e, err := s.beginEnrolment(r, u)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, e)
}

// enrolled is the answer to a finished enrolment: the session and the
// recovery codes, shown once.
type enrolled struct {
	meJSON
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Server) handleAPIEnrolFinish(w http.ResponseWriter, r *http.Request) {
	var in codeInput
	if err := decodeJSON(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	sess, codes, err := s.redeemEnrolment(w, r, in.Code)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, enrolled{meJSON: s.me(sess), RecoveryCodes: codes})
}

func (s *Server) redeemEnrolment(w http.ResponseWriter, r *http.Request, code string) (*session, []string, error) {
	u, ticket, err := s.ticketUser(r)
	if err != nil {
		return nil, nil, err
	}
	codes, err := s.finishEnrolment(r, u, code)
	if err != nil {
		return nil, nil, err
	}
	_ = s.TwoFactor.DeleteLoginTicket(r.Context(), ticket)
	s.setTicketCookie(w, "")
	sess, err := s.startSession(w, r, u)
	return sess, codes, err
}

// secondStepPage is the login page's second step.
type secondStepPage struct {
	Next          string
	Factor        dispatch.SecondFactor
	Enrol         *enrolment
	RecoveryCodes []string
	Failed        string
}

// renderSecondStep shows the code form (and, to enrol, the QR code).
func (s *Server) renderSecondStep(w http.ResponseWriter, r *http.Request, status int, next string, f dispatch.SecondFactor, failed string) {
	p := secondStepPage{Next: next, Factor: f, Failed: failed}
	if f == dispatch.SecondFactorEnrol {
		u, _, err := s.ticketUser(r)
		if dispatch.ErrorCode(err) == dispatch.EUNAUTHORIZED {
			// The ticket ran out: start again from the password.
			s.render(w, r, http.StatusUnauthorized, "login", loginPage{Next: next, Failed: tr(r, dispatch.ErrorMessage(err))})
			return
		}
		if err == nil {
			p.Enrol, err = s.beginEnrolment(r, u)
		}
		if err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.render(w, r, status, "login2", p)
}

func (s *Server) handleLoginTOTPForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if _, err := s.redeemTOTP(w, r, r.PostForm.Get("code")); err != nil {
		if dispatch.ErrorCode(err) != dispatch.EUNAUTHORIZED {
			s.Error(w, r, err)
			return
		}
		s.render(w, r, http.StatusUnauthorized, "login2", secondStepPage{Next: next, Factor: dispatch.SecondFactorTOTP, Failed: tr(r, dispatch.ErrorMessage(err))})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLoginEnrolForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	_, codes, err := s.redeemEnrolment(w, r, r.PostForm.Get("code"))
	if err != nil {
		if dispatch.ErrorCode(err) != dispatch.EUNAUTHORIZED {
			s.Error(w, r, err)
			return
		}
		s.renderSecondStep(w, r, http.StatusUnauthorized, next, dispatch.SecondFactorEnrol, tr(r, dispatch.ErrorMessage(err)))
		return
	}
	s.render(w, r, http.StatusOK, "login2", secondStepPage{Next: next, RecoveryCodes: codes})
}

func (s *Server) handleSecuritySettings(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActManageUsers)
	if !ok || s.TwoFactor == nil {
		if ok {
			s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "Two-factor login is not configured on this server."))
		}
		return
	}
	_ = actor
	st, err := s.TwoFactor.SecuritySettings(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleSecuritySettingsSave(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActManageUsers)
	if !ok {
		return
	}
	in, ok := decodeBody[dispatch.SecuritySettings](s, w, r)
	if !ok {
		return
	}
	if s.TwoFactor == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "Two-factor login is not configured on this server."))
		return
	}
	if err := s.TwoFactor.SaveSecuritySettings(r.Context(), actor, in); err != nil {
		s.Error(w, r, err)
		return
	}
	st, err := s.TwoFactor.SecuritySettings(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleTOTPReset removes a user's second factor (a lost phone); the user
// enrols again at the next login when the role requires it.
func (s *Server) handleTOTPReset(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActManageUsers)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "user")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.TwoFactor == nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "Two-factor login is not configured on this server."))
		return
	}
	if err := s.TwoFactor.DisableTOTP(r.Context(), actor, id); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.hub != nil {
		s.hub.Recheck()
	}
	w.WriteHeader(http.StatusNoContent)
}

func init() {
	describe(
		apiOp{Method: "POST", Pattern: "/api/login/totp", Summary: "Second login step: a TOTP or recovery code", Tag: "auth",
			Roles: "anyone holding the qamqor_login ticket cookie from POST /api/login", Auth: authPublic,
			Body: codeInput{}, Resp: meJSON{}},
		apiOp{Method: "GET", Pattern: "/api/login/enrol", Summary: "Start TOTP enrolment: secret, otpauth URL and QR image", Tag: "auth",
			Roles: "anyone holding the qamqor_login ticket cookie whose role requires two-factor login", Auth: authPublic, Resp: enrolment{}},
		apiOp{Method: "POST", Pattern: "/api/login/enrol", Summary: "Finish TOTP enrolment with the first code; returns the session and ten recovery codes", Tag: "auth",
			Roles: "anyone holding the qamqor_login ticket cookie", Auth: authPublic, Body: codeInput{}, Resp: enrolled{}},
		apiOp{Method: "POST", Pattern: "/login/totp", Summary: "Second login step (form)", Tag: "pages", Auth: authPublic,
			BodyType: "application/x-www-form-urlencoded", RespType: "text/html", Status: 303},
		apiOp{Method: "POST", Pattern: "/login/enrol", Summary: "TOTP enrolment (form)", Tag: "pages", Auth: authPublic,
			BodyType: "application/x-www-form-urlencoded", RespType: "text/html"},
		apiOp{Method: "GET", Pattern: "/api/security/settings", Summary: "Security settings (roles that must use two-factor login)", Tag: "security",
			Roles: "admin", Resp: dispatch.SecuritySettings{}},
		apiOp{Method: "PUT", Pattern: "/api/security/settings", Summary: "Change the security settings", Tag: "security",
			Roles: "admin", Body: dispatch.SecuritySettings{}, Resp: dispatch.SecuritySettings{}},
		apiOp{Method: "DELETE", Pattern: "/api/users/{id}/totp", Summary: "Remove a user's second factor (lost phone); ends their sessions", Tag: "security",
			Roles: "admin", Status: 204},
	)
}
