package web

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// Certificates of verified volunteer hours. Admins and the volunteer's
// coordinator issue and revoke them; anyone with the code checks one at
// /verify/{code} without logging in, and the signing key is public at
// /verify/key.

// registerCertificateRoutes adds the logged-in certificate API and page.
func (s *Server) registerCertificateRoutes(r chi.Router) {
	r.Get("/certificates", s.handleCertificatesPage)
	r.Post("/certificates", s.handleCertificateForm)
	r.Post("/certificates/{code}/revoke", s.handleCertificateRevokeForm)
	s.addPage(page{Path: "/certificates", TitleKey: "nav.certificates", Title: "Certificates", Action: dispatch.ActIssueCertificates})
	r.Get("/api/certificates", s.handleCertificateList)
	r.Post("/api/certificates", s.handleCertificateIssue)
	r.Get("/api/certificates/{code}/pdf", s.handleCertificatePDF)
	r.Post("/api/certificates/{code}/revoke", s.handleCertificateRevoke)
}

// registerVerifyRoutes adds the public verification page and key.
func (s *Server) registerVerifyRoutes(r chi.Router) {
	r.Get("/verify/key", s.handleVerifyKey)
	r.Get("/verify/{code}", s.handleVerify)
}

func (s *Server) certificateActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor, ok := s.actorFor(w, r, dispatch.ActIssueCertificates)
	if ok && s.Certificates == nil {
		s.Error(w, r, unavailable("Certificates"))
		return nil, false
	}
	return actor, ok
}

// certificateJSON is a certificate as the API shows it.
type certificateJSON struct {
	*dispatch.Certificate
	Hours     string `json:"hours"`
	Status    string `json:"status"`
	PDFURL    string `json:"pdf_url"`
	VerifyURL string `json:"verify_url"`
}

func (s *Server) newCertificateJSON(r *http.Request, c *dispatch.Certificate, pub ed25519.PublicKey) certificateJSON {
	code := url.PathEscape(c.Code)
	return certificateJSON{Certificate: c, Hours: c.Hours(), Status: string(c.Status(pub)),
		PDFURL:    s.baseURL(r) + "/api/certificates/" + code + "/pdf",
		VerifyURL: s.baseURL(r) + "/verify/" + code}
}

func (s *Server) handleCertificateIssue(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.certificateActor(w, r)
	if !ok {
		return
	}
	in, ok := decodeBody[dispatch.CertificateInput](s, w, r)
	if !ok {
		return
	}
	rng, err := in.Normalize(s.now())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.Certificates.IssueCertificate(r.Context(), actor, in, rng)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	pub, err := s.Certificates.PublicKey(r.Context(), c.KeyID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	j := s.newCertificateJSON(r, c, pub)
	writeJSON(w, http.StatusCreated, map[string]any{
		"code": c.Code, "hours": j.Hours, "seconds": c.Seconds, "visits": c.Visits,
		"pdf_url": j.PDFURL, "verify_url": j.VerifyURL,
	})
}

func (s *Server) handleCertificateList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.certificateActor(w, r)
	if !ok {
		return
	}
	servePage(s, w, r, func(p dispatch.Page) ([]certificateJSON, int, error) {
		cs, total, err := s.Certificates.FindCertificates(r.Context(), actor, p)
		if err != nil {
			return nil, 0, err
		}
		keys := map[int64]ed25519.PublicKey{}
		out := make([]certificateJSON, len(cs))
		for i, c := range cs {
			if keys[c.KeyID] == nil {
				if keys[c.KeyID], err = s.Certificates.PublicKey(r.Context(), c.KeyID); err != nil {
					return nil, 0, err
				}
			}
			out[i] = s.newCertificateJSON(r, c, keys[c.KeyID])
		}
		return out, total, nil
	})
}

// scopedCertificate finds the certificate of the path's code for an actor
// who may issue it; another organisation's certificate is not found.
func (s *Server) scopedCertificate(w http.ResponseWriter, r *http.Request) (*dispatch.Certificate, bool) {
	actor, ok := s.certificateActor(w, r)
	if !ok {
		return nil, false
	}
	code, err := dispatch.NormalizeCertificateCode(chi.URLParam(r, "code"))
	if err != nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no certificate %q.", chi.URLParam(r, "code")))
		return nil, false
	}
	c, err := s.Certificates.FindCertificate(r.Context(), code)
	if err == nil && !dispatch.InOrgScope(actor, c.OrganisationID) {
		err = dispatch.Errorf(dispatch.ENOTFOUND, "There is no certificate %s.", code)
	}
	if err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	return c, true
}

func (s *Server) handleCertificatePDF(w http.ResponseWriter, r *http.Request) {
	c, ok := s.scopedCertificate(w, r)
	if !ok {
		return
	}
	if l := r.URL.Query().Get("lang"); isLang(l) {
		c.Language = l
	}
	pub, err := s.Certificates.PublicKey(r.Context(), c.KeyID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	pdf, err := certificatePDF(c, s.baseURL(r)+"/verify/"+url.PathEscape(c.Code), pub)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="certificate-`+c.Code+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

func (s *Server) handleCertificateRevoke(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.certificateActor(w, r)
	if !ok {
		return
	}
	in, ok := decodeBody[dispatch.RevokeInput](s, w, r)
	if !ok {
		return
	}
	code, err := dispatch.NormalizeCertificateCode(chi.URLParam(r, "code"))
	if err != nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no certificate %q.", chi.URLParam(r, "code")))
		return
	}
	c, err := s.Certificates.RevokeCertificate(r.Context(), actor, code, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	pub, err := s.Certificates.PublicKey(r.Context(), c.KeyID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.newCertificateJSON(r, c, pub))
}

// verifyPage is what /verify/{code} shows: the outcome and, for a known
// code, the certificate's own figures and nothing else.
type verifyPage struct {
	L          ptext
	Code       string
	Status     string // valid, revoked, invalid, not_found, bad_code
	Message    string
	Cert       *dispatch.Certificate
	Hours      string
	Issued     string
	RevokedOn  string
	KeyURL     string
	LangLinks  []langLink
	StatusText string
}

type langLink struct {
	Lang, Label, URL string
	Current          bool
}

func langLinks(r *http.Request, cur string) []langLink {
	labels := map[string]string{"kk": "Қазақша", "ru": "Русский", "en": "English"}
	out := make([]langLink, 0, len(langs))
	for _, l := range langs {
		q := r.URL.Query()
		q.Set("lang", l)
		out = append(out, langLink{Lang: l, Label: labels[l], URL: r.URL.Path + "?" + q.Encode(), Current: l == cur})
	}
	return out
}

// handleVerify answers with the verification page, or JSON when asked
// (Accept: application/json). A code that is malformed or unknown gets a
// 404 with the same page: nothing else is revealed.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	if s.Certificates == nil {
		s.Error(w, r, unavailable("Certificates"))
		return
	}
	l := ptext(pageLang(r))
	pg := verifyPage{L: l, Code: chi.URLParam(r, "code"), KeyURL: "/verify/key", LangLinks: langLinks(r, string(l))}
	status := http.StatusOK
	code, err := dispatch.NormalizeCertificateCode(pg.Code)
	var c *dispatch.Certificate
	if err == nil {
		c, err = s.Certificates.FindCertificate(r.Context(), code)
	} else {
		err = dispatch.Errorf(dispatch.ENOTFOUND, "There is no certificate %s.", pg.Code)
	}
	switch {
	case dispatch.ErrorCode(err) == dispatch.ENOTFOUND:
		pg.Status, pg.Message, status = "not_found", l.T("verify.not_found"), http.StatusNotFound
	case err != nil:
		s.Error(w, r, err)
		return
	default:
		pub, err := s.Certificates.PublicKey(r.Context(), c.KeyID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		pg.Code, pg.Cert, pg.Hours, pg.Issued = c.Code, c, c.Hours(), dispatch.LocalDate(c.IssuedAt)
		pg.Status = string(c.Status(pub))
		pg.StatusText = l.T("status." + pg.Status)
		switch c.Status(pub) {
		case dispatch.CertificateValid:
			pg.Message = l.T("verify.valid")
		case dispatch.CertificateRevoked:
			pg.Message = l.T("verify.revoked")
			pg.RevokedOn = dispatch.LocalDate(*c.RevokedAt)
		default:
			pg.Message = l.T("verify.invalid")
		}
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		out := map[string]any{"code": pg.Code, "status": pg.Status}
		if c != nil && pg.Status != "not_found" {
			out["volunteer"] = c.VolunteerName
			out["organisation"] = c.OrganisationName
			out["from"], out["to"] = c.From, c.To
			out["hours"], out["seconds"], out["visits"] = c.Hours(), c.Seconds, c.Visits
			out["issued_at"] = c.IssuedAt.Format(time.RFC3339)
			if c.RevokedAt != nil {
				out["revoked_at"] = c.RevokedAt.Format(time.RFC3339)
			}
		}
		writeJSON(w, status, out)
		return
	}
	s.render(w, r, status, "verify", pg)
}

// handleVerifyKey publishes the key new certificates are signed with, as
// base64 and as a PEM SubjectPublicKeyInfo, plus the key of any ?id=.
func (s *Server) handleVerifyKey(w http.ResponseWriter, r *http.Request) {
	if s.Certificates == nil {
		s.Error(w, r, unavailable("Certificates"))
		return
	}
	id, pub, err := s.Certificates.CurrentPublicKey(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"algorithm":  "Ed25519",
		"key_id":     id,
		"public_key": base64.StdEncoding.EncodeToString(pub),
		"pem":        string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"payload":    "qamqor-certificate-v1: key=value lines (code, volunteer_id, volunteer, organisation_id, organisation, from, to, seconds, visits, issued_at, key_id)",
	})
}

// certificatesPage lists certificates and offers the issue form.
type certificatesPage struct {
	L     ptext
	Certs []certificateJSON
	Error string
	In    dispatch.CertificateInput
	Today string
}

func (s *Server) renderCertificates(w http.ResponseWriter, r *http.Request, actor *dispatch.User, status int, pg certificatesPage) {
	pg.L, pg.Today = ptext(pageLang(r)), dispatch.LocalDate(s.now())
	cs, _, err := s.Certificates.FindCertificates(r.Context(), actor, dispatch.Page{Limit: 200})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	keys := map[int64]ed25519.PublicKey{}
	for _, c := range cs {
		if keys[c.KeyID] == nil {
			if keys[c.KeyID], err = s.Certificates.PublicKey(r.Context(), c.KeyID); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		pg.Certs = append(pg.Certs, s.newCertificateJSON(r, c, keys[c.KeyID]))
	}
	s.render(w, r, status, "certificates", pg)
}

func (s *Server) handleCertificatesPage(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.certificateActor(w, r)
	if !ok {
		return
	}
	s.renderCertificates(w, r, actor, http.StatusOK, certificatesPage{})
}

// handleCertificateForm issues a certificate from the page's form and
// shows the list again (the new one first), or the form with the reason.
func (s *Server) handleCertificateForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.certificateActor(w, r)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	vid, _ := strconv.ParseInt(r.PostForm.Get("volunteer_id"), 10, 64)
	in := dispatch.CertificateInput{VolunteerID: vid, From: r.PostForm.Get("from"), To: r.PostForm.Get("to"), Language: r.PostForm.Get("language")}
	rng, err := in.Normalize(s.now())
	if err == nil {
		_, err = s.Certificates.IssueCertificate(r.Context(), actor, in, rng)
	}
	switch dispatch.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/certificates", http.StatusSeeOther)
	case dispatch.EINVALID, dispatch.ENOTFOUND, dispatch.EFORBIDDEN:
		s.renderCertificates(w, r, actor, http.StatusUnprocessableEntity, certificatesPage{Error: dispatch.ErrorMessage(err), In: in})
	default:
		s.Error(w, r, err)
	}
}

func (s *Server) handleCertificateRevokeForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.certificateActor(w, r)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	code, err := dispatch.NormalizeCertificateCode(chi.URLParam(r, "code"))
	if err != nil {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no certificate %q.", chi.URLParam(r, "code")))
		return
	}
	_, err = s.Certificates.RevokeCertificate(r.Context(), actor, code, dispatch.RevokeInput{Reason: r.PostForm.Get("reason")})
	switch dispatch.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/certificates", http.StatusSeeOther)
	case dispatch.EINVALID, dispatch.ECONFLICT:
		s.renderCertificates(w, r, actor, http.StatusUnprocessableEntity, certificatesPage{Error: dispatch.ErrorMessage(err)})
	default:
		s.Error(w, r, err)
	}
}
