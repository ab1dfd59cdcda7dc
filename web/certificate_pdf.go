package web

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/web/fonts"
	qrcode "github.com/skip2/go-qrcode"
)

// certificatePDF draws a certificate on one A4 page in its language: the
// volunteer, organisation, period, verified hours and visits, the code, and
// a QR code of verifyURL drawn as vector squares (sharp at any zoom).
func certificatePDF(c *dispatch.Certificate, verifyURL string, pub ed25519.PublicKey) ([]byte, error) {
	l := ptext(c.Language)
	if !isLang(c.Language) {
		l = "ru"
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(l.T("cert.title")+" "+c.Code, true)
	pdf.SetCreator("Qamqor", true)
	pdf.AddUTF8FontFromBytes(fonts.Family, "", fonts.Regular)
	pdf.AddUTF8FontFromBytes(fonts.Family, "B", fonts.Bold)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(false, 10)
	pdf.AddPage()

	// Frame.
	pdf.SetDrawColor(40, 90, 160)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, 190, 277, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(13, 13, 184, 271, "D")

	pdf.SetY(30)
	pdf.SetFont(fonts.Family, "B", 26)
	pdf.SetTextColor(40, 90, 160)
	pdf.CellFormat(0, 14, l.T("cert.title"), "", 1, "C", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(6)
	pdf.SetFont(fonts.Family, "", 13)
	pdf.CellFormat(0, 8, l.T("cert.certifies"), "", 1, "C", false, 0, "")
	pdf.Ln(4)
	pdf.SetFont(fonts.Family, "B", 22)
	pdf.MultiCell(0, 11, c.VolunteerName, "", "C", false)
	pdf.Ln(8)

	row := func(label, value string) {
		pdf.SetX(30)
		pdf.SetFont(fonts.Family, "", 12)
		pdf.CellFormat(60, 9, label, "", 0, "L", false, 0, "")
		pdf.SetFont(fonts.Family, "B", 13)
		pdf.MultiCell(90, 9, value, "", "L", false)
	}
	row(l.T("cert.org"), c.OrganisationName)
	row(l.T("cert.period"), l.T("cert.period_fmt", c.From, c.To))
	row(l.T("cert.hours"), c.Hours())
	row(l.T("cert.visits"), fmt.Sprint(c.Visits))
	row(l.T("cert.code"), c.Code)
	row(l.T("cert.issued"), dispatch.LocalDate(c.IssuedAt))

	// QR code of the verification address.
	qr, err := qrcode.New(verifyURL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	bits := qr.Bitmap()
	const side = 50.0
	x0, y0 := (210-side)/2, 175.0
	cell := side / float64(len(bits))
	pdf.SetFillColor(0, 0, 0)
	for y, line := range bits {
		for x, on := range line {
			if on {
				pdf.Rect(x0+float64(x)*cell, y0+float64(y)*cell, cell+0.01, cell+0.01, "F")
			}
		}
	}
	pdf.SetY(y0 - 9)
	pdf.SetFont(fonts.Family, "", 11)
	pdf.CellFormat(0, 7, l.T("cert.verify_at"), "", 1, "C", false, 0, "")
	pdf.SetY(y0 + side + 2)
	pdf.SetFont(fonts.Family, "", 10)
	pdf.SetTextColor(40, 90, 160)
	pdf.CellFormat(0, 6, verifyURL, "", 1, "C", false, 0, verifyURL)
	pdf.SetTextColor(90, 90, 90)
	pdf.Ln(4)
	pdf.SetFont(fonts.Family, "", 8.5)
	pdf.MultiCell(0, 4.5, l.T("cert.rule"), "", "C", false)
	pdf.MultiCell(0, 4.5, l.T("cert.signed", base64.StdEncoding.EncodeToString(pub)), "", "C", false)
	pdf.MultiCell(0, 4.5, l.T("cert.font", fonts.Attribution), "", "C", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("certificate pdf code=%s: %w", c.Code, err)
	}
	return buf.Bytes(), nil
}
