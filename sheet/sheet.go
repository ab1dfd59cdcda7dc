// Package sheet reads and writes tables as CSV or XLSX files: the header row
// and the data rows as plain strings. It is a leaf library; it knows nothing
// of what the columns mean.
//
// CSV files may be UTF-8 (with or without a byte-order mark) or Windows-1251,
// which Excel in a Russian locale writes, and may use a comma, a semicolon or
// a tab as the separator. XLSX files are read through excelize; only the
// first worksheet is read.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Format is a file format.
type Format string

// Formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat returns the format named by s ("csv", "xlsx"), or an error.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want csv or xlsx", s)
}

// ContentType is the MIME type of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Limits of Read. A file over them is refused whole, never cut.
const (
	MaxRows     = 200_000
	MaxColumns  = 100
	MaxCellLen  = 2000
	MaxFileSize = 64 << 20
)

// ErrTooLarge is returned for a file over MaxRows, MaxColumns or MaxFileSize.
var ErrTooLarge = errors.New("sheet: file too large")

// Table is a header and rows. Row i of Rows is line i+2 of the file (the
// header is line 1); blank rows are kept as empty slices so numbers match
// what a person sees in a spreadsheet.
type Table struct {
	Header []string
	Rows   [][]string
}

// Line is the spreadsheet row number of Rows[i].
func Line(i int) int { return i + 2 }

// Blank reports whether every cell of row is empty after trimming spaces.
func Blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// FormatOf guesses the format from the file name, then from the content
// (an XLSX file is a zip archive and starts with "PK\x03\x04").
func FormatOf(name string, head []byte) Format {
	switch {
	case strings.HasSuffix(strings.ToLower(name), ".xlsx"):
		return XLSX
	case strings.HasSuffix(strings.ToLower(name), ".csv"):
		return CSV
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return XLSX
	}
	return CSV
}

// Read reads a whole table from data in format f.
func Read(data []byte, f Format) (*Table, error) {
	if len(data) > MaxFileSize {
		return nil, ErrTooLarge
	}
	if f == XLSX {
		return readXLSX(data)
	}
	return readCSV(data)
}

func readCSV(data []byte) (*Table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := charmap.Windows1251.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decode windows-1251: %w", err)
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = separator(data)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	t := &Table{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		if err := t.add(rec); err != nil {
			return nil, err
		}
	}
	return t.done()
}

// separator picks the most frequent of , ; and tab in the first line.
func separator(data []byte) rune {
	line, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine()
	best, n := ',', strings.Count(string(line), ",")
	for _, c := range []rune{';', '\t'} {
		if k := strings.Count(string(line), string(c)); k > n {
			best, n = c, k
		}
	}
	return best
}

func readXLSX(data []byte) (*Table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("open xlsx: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("xlsx has no worksheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("read xlsx sheet=%s: %w", sheets[0], err)
	}
	defer rows.Close()
	t := &Table{}
	for rows.Next() {
		rec, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("read xlsx row: %w", err)
		}
		if err := t.add(rec); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("read xlsx: %w", err)
	}
	return t.done()
}

func (t *Table) add(rec []string) error {
	if len(rec) > MaxColumns {
		return fmt.Errorf("%w: %d columns (at most %d)", ErrTooLarge, len(rec), MaxColumns)
	}
	for i, c := range rec {
		if len(c) > MaxCellLen {
			rec[i] = c[:MaxCellLen]
		}
		if strings.ContainsRune(c, 0) {
			rec[i] = strings.ReplaceAll(rec[i], "\x00", "")
		}
	}
	if t.Header == nil {
		if Blank(rec) {
			return nil // leading blank lines before the header
		}
		t.Header = rec
		return nil
	}
	if len(t.Rows) >= MaxRows {
		return fmt.Errorf("%w: more than %d rows", ErrTooLarge, MaxRows)
	}
	t.Rows = append(t.Rows, rec)
	return nil
}

func (t *Table) done() (*Table, error) {
	if t.Header == nil {
		return nil, errors.New("the file is empty: no header row")
	}
	// Trailing blank rows are noise from spreadsheets, not data.
	for len(t.Rows) > 0 && Blank(t.Rows[len(t.Rows)-1]) {
		t.Rows = t.Rows[:len(t.Rows)-1]
	}
	return t, nil
}

// Write writes header and rows to w in format f. CSV cells that a
// spreadsheet would run as a formula (=, +, -, @ first) get a leading
// apostrophe; XLSX cells are always written as text, which no spreadsheet
// evaluates.
func Write(w io.Writer, f Format, sheetName string, header []string, rows [][]string) error {
	if f == XLSX {
		return writeXLSX(w, sheetName, header, rows)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	rec := make([]string, len(header))
	for _, row := range rows {
		rec = rec[:0]
		for _, c := range row {
			rec = append(rec, SafeCSV(c))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCSV defuses a cell a spreadsheet would run as a formula. Negative
// numbers ("-3.5") are left alone.
func SafeCSV(c string) string {
	if c == "" || !strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return c
	}
	if c[0] == '-' && len(c) > 1 && strings.Trim(c[1:], "0123456789.") == "" {
		return c
	}
	return "'" + c
}

func writeXLSX(w io.Writer, sheetName string, header []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if sheetName == "" {
		sheetName = "Sheet1"
	}
	if len([]rune(sheetName)) > 31 {
		sheetName = string([]rune(sheetName)[:31])
	}
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{Value: h, StyleID: bold}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return fmt.Errorf("xlsx header: %w", err)
	}
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		axis, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(axis, cells); err != nil {
			return fmt.Errorf("xlsx row=%d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
