// Package fonts embeds the TrueType fonts Qamqor's PDFs are drawn with:
// DejaVu Sans regular and bold, which cover Latin, Russian and Kazakh
// Cyrillic (ә ғ қ ң ө ұ ү һ і). DejaVu is free under the Bitstream Vera
// licence (DejaVu's changes are public domain); LICENSE-DejaVu.txt beside
// this file carries the notice the licence requires.
//
// Use with codeberg.org/go-pdf/fpdf:
//
//	pdf.AddUTF8FontFromBytes(fonts.Family, "", fonts.Regular)
//	pdf.AddUTF8FontFromBytes(fonts.Family, "B", fonts.Bold)
package fonts

import _ "embed"

// Family is the font family name to register the fonts under.
const Family = "DejaVuSans"

// Regular is DejaVuSans.ttf.
//
//go:embed DejaVuSans.ttf
var Regular []byte

// Bold is DejaVuSans-Bold.ttf.
//
//go:embed DejaVuSans-Bold.ttf
var Bold []byte

// Attribution is the credit line to print where the fonts are acknowledged.
const Attribution = "DejaVu Sans (Bitstream Vera licence; DejaVu changes public domain)"
