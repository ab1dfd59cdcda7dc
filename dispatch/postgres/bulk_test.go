package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
	"github.com/qamqor/qamqor/sheet"
)

var importAdmin = &dispatch.User{Username: "importer", Role: dispatch.RoleAdmin, Active: true}

// mustReadSheet reads a file of testdata/import.
func mustReadSheet(tb testing.TB, name string) (*sheet.Table, []byte) {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", name))
	if err != nil {
		tb.Fatal(err)
	}
	t, err := sheet.Read(data, sheet.FormatOf(name, data))
	if err != nil {
		tb.Fatal(err)
	}
	return t, data
}

// runImport imports t as kind and returns the counts and the rejected rows.
func runImport(tb testing.TB, db *postgres.DB, kind dispatch.ImportKind, t *sheet.Table, org *int64, dry bool) (dispatch.ImportCounts, []dispatch.ImportRow) {
	tb.Helper()
	ctx := context.Background()
	imp := &dispatch.Import{Kind: kind, Format: "csv", OrganisationID: org}
	if err := db.CreateImport(ctx, importAdmin, imp); err != nil {
		tb.Fatal(err)
	}
	counts, err := dispatch.RunImport(ctx, db, importAdmin, imp, t.Header, t.Rows, time.Now(), dry)
	if err != nil {
		tb.Fatalf("import: %v", err)
	}
	rej, err := db.ImportRows(ctx, importAdmin, imp.ID, true, 0, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	return counts, rej
}

func careCount(tb testing.TB, db *postgres.DB) int {
	tb.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM care_addresses`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

type wantReject struct {
	line   int
	reason string
}

func checkRejects(t *testing.T, got []dispatch.ImportRow, want []wantReject) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("rejects=%+v, want %+v", got, want)
	}
	for i, w := range want {
		if got[i].Line != w.line || got[i].Reason != w.reason {
			t.Errorf("reject %d = line %d %s (%s), want line %d %s", i, got[i].Line, got[i].Reason, got[i].ReasonArg, w.line, w.reason)
		}
		if len(got[i].Cells) == 0 {
			t.Errorf("reject line %d has no original cells", got[i].Line)
		}
	}
}

// TestImportCareFiles imports the two real files with Russian headers:
// exact counts, rejects with reasons, and a re-import that creates nothing.
func TestImportCareFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		counts  dispatch.ImportCounts
		rejects []wantReject
	}{
		{"care_ru.csv", dispatch.ImportCounts{Rows: 10, Created: 5, Rejected: 5}, []wantReject{
			{7, dispatch.RejectNoAddress}, {8, dispatch.RejectOutside}, {9, dispatch.RejectBadPhone},
			{10, dispatch.RejectDuplicate}, {11, dispatch.RejectNotFound}}},
		{"care_ru.xlsx", dispatch.ImportCounts{Rows: 7, Created: 3, Rejected: 4}, []wantReject{
			{5, dispatch.RejectNoAddress}, {6, dispatch.RejectOutside}, {7, dispatch.RejectBadPhone},
			{8, dispatch.RejectDuplicate}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			db := pgtest.MustOpen(t)
			mustLoadGazetteer(t, db)
			table, _ := mustReadSheet(t, tc.file)

			dry, _ := runImport(t, db, dispatch.ImportCare, table, nil, true)
			if dry != tc.counts {
				t.Errorf("dry run counts=%+v, want %+v", dry, tc.counts)
			}
			if n := careCount(t, db); n != 0 {
				t.Fatalf("dry run created %d care addresses", n)
			}

			got, rejects := runImport(t, db, dispatch.ImportCare, table, nil, false)
			if got != tc.counts {
				t.Errorf("counts=%+v, want %+v", got, tc.counts)
			}
			checkRejects(t, rejects, tc.rejects)
			if n := careCount(t, db); n != tc.counts.Created {
				t.Errorf("care addresses=%d, want %d", n, tc.counts.Created)
			}

			again, _ := runImport(t, db, dispatch.ImportCare, table, nil, false)
			want := dispatch.ImportCounts{Rows: tc.counts.Rows, Unchanged: tc.counts.Created, Rejected: tc.counts.Rejected}
			if again != want {
				t.Errorf("re-import counts=%+v, want %+v", again, want)
			}
			if n := careCount(t, db); n != tc.counts.Created {
				t.Errorf("after re-import care addresses=%d, want %d", n, tc.counts.Created)
			}
		})
	}
}

// TestImportCareFields checks what one row becomes: the phone normalised,
// the flat taken out of the address, the language mapped, the pin on the
// gazetteer house, the district found, and the creation audited.
func TestImportCareFields(t *testing.T) {
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	table, _ := mustReadSheet(t, "care_ru.csv")
	runImport(t, db, dispatch.ImportCare, table, nil, false)
	ctx := context.Background()
	var phone, addr, flat, lang, notes string
	var immobile, hasDistrict bool
	var lon, lat float64
	err := db.Pool().QueryRow(ctx, `SELECT phone, address_text, flat, preferred_language, immobile, mobility_notes,
			district_id IS NOT NULL, ST_X(location::geometry), ST_Y(location::geometry)
		FROM care_addresses WHERE full_name = 'Ахметов Серік'`).
		Scan(&phone, &addr, &flat, &lang, &immobile, &notes, &hasDistrict, &lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	if phone != "+7 702 111 22 33" || addr != "Кенесары көшесі 35" || flat != "7" || lang != "kk" || !immobile || notes != "Лежачий" || !hasDistrict {
		t.Errorf("row = %q %q %q %q %v %q district=%v", phone, addr, flat, lang, immobile, notes, hasDistrict)
	}
	// addresses_sample.csv: Кенесары көшесі,35,51.1650973,71.4221969
	if lon != 71.4221969 || lat != 51.1650973 {
		t.Errorf("location=%v,%v, want the gazetteer house 71.4221969,51.1650973", lon, lat)
	}
	var audits int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'create'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 5 {
		t.Errorf("create audits=%d, want 5", audits)
	}
}

// TestImportUpdates changes one cell and re-imports: that row is updated,
// the others unchanged; an empty cell does not clear a value.
func TestImportUpdates(t *testing.T) {
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	table, _ := mustReadSheet(t, "care_ru.csv")
	runImport(t, db, dispatch.ImportCare, table, nil, false)
	table.Rows[0][8] = "Внучка навещает по средам"
	table.Rows[4][8] = "" // Смирнова: notes left empty this time
	got, _ := runImport(t, db, dispatch.ImportCare, table, nil, false)
	if want := (dispatch.ImportCounts{Rows: 10, Updated: 1, Unchanged: 4, Rejected: 5}); got != want {
		t.Errorf("counts=%+v, want %+v", got, want)
	}
	var notes string
	if err := db.Pool().QueryRow(context.Background(), `SELECT mobility_notes FROM care_addresses WHERE full_name = 'Смирнова Ольга'`).Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if notes != "Домофон 3В, звонить дважды" {
		t.Errorf("notes=%q: an empty cell cleared them", notes)
	}
}

// TestImportAtomic makes the apply fail half-way (a care address taking an
// external id the file uses, after staging): nothing of the file is in the
// registry afterwards and the import says it failed.
func TestImportAtomic(t *testing.T) {
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	ctx := context.Background()
	table := &sheet.Table{Header: []string{"name", "address", "external_id"}}
	for _, a := range []string{"Кенесары көшесі, 40", "Кенесары көшесі, 35", "Кенесары көшесі, 30", "Кенесары көшесі, 3"} {
		table.Rows = append(table.Rows, []string{"Тест " + a, a, "HQ-" + a[len(a)-2:]})
	}
	imp := &dispatch.Import{Kind: dispatch.ImportCare, Format: "csv"}
	if err := db.CreateImport(ctx, importAdmin, imp); err != nil {
		t.Fatal(err)
	}
	if _, err := dispatch.StageImport(ctx, db, importAdmin, imp, table.Header, table.Rows, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO care_addresses (full_name, address_text, location, external_id)
		VALUES ('Someone else', 'x', 'SRID=4326;POINT(71.43 51.16)', 'HQ- 3')`); err != nil {
		t.Fatal(err)
	}
	_, err := db.ApplyImport(ctx, importAdmin, imp.ID)
	if dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Fatalf("apply err=%v, want a conflict", err)
	}
	if n := careCount(t, db); n != 1 {
		t.Errorf("care addresses=%d, want 1 (nothing of the failed import)", n)
	}
}

func TestImportVolunteersAndTeams(t *testing.T) {
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	ctx := context.Background()
	var org int64
	if err := db.Pool().QueryRow(ctx, `INSERT INTO organisations (name, kind) VALUES ('Жас Отан', 'volunteer_org') RETURNING id`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	vols := &sheet.Table{
		Header: []string{"Аты-жөні", "Телефон", "Туған жылы", "Тілдер"},
		Rows: [][]string{
			{"Әлихан Нұрлан", "+7 701 000 11 22", "2009", "kk, ru"},
			{"Анна Ли", "", "01.02.2001", "ru"},
			{"Бала", "+7 701 000 11 23", "2020", "kk"},
			{"Әлихан Нұрлан", "8 701 000 11 22", "2009", "kk"},
		},
	}
	got, rej := runImport(t, db, dispatch.ImportVolunteers, vols, &org, false)
	if want := (dispatch.ImportCounts{Rows: 4, Created: 2, Rejected: 2}); got != want {
		t.Errorf("volunteers=%+v, want %+v", got, want)
	}
	checkRejects(t, rej, []wantReject{{4, dispatch.RejectBadBirthYear}, {5, dispatch.RejectDuplicate}})
	again, _ := runImport(t, db, dispatch.ImportVolunteers, vols, &org, false)
	if want := (dispatch.ImportCounts{Rows: 4, Unchanged: 2, Rejected: 2}); again != want {
		t.Errorf("volunteers again=%+v, want %+v", again, want)
	}

	teams := &sheet.Table{
		Header: []string{"Команда", "Адрес базы", "Машина", "Навыки", "Организация"},
		Rows: [][]string{
			{"Север-1", "Кенесары көшесі 40", "да", "лопата", "жас отан"},
			{"Юг-2", "Кенесары көшесі 999", "нет", "", "Жас Отан"},
			{"Восток-3", "Кенесары көшесі 35", "нет", "", "Нет такой"},
		},
	}
	got, rej = runImport(t, db, dispatch.ImportTeams, teams, nil, false)
	if want := (dispatch.ImportCounts{Rows: 3, Created: 1, Rejected: 2}); got != want {
		t.Errorf("teams=%+v, want %+v", got, want)
	}
	checkRejects(t, rej, []wantReject{{3, dispatch.RejectNotFound}, {4, dispatch.RejectUnknownOrg}})
	var skills []string
	var vehicle bool
	if err := db.Pool().QueryRow(ctx, `SELECT skills, has_vehicle FROM teams WHERE name = 'Север-1' AND organisation_id = $1`, org).Scan(&skills, &vehicle); err != nil {
		t.Fatal(err)
	}
	if len(skills) != 1 || skills[0] != dispatch.SkillShovels || !vehicle {
		t.Errorf("team skills=%v vehicle=%v, want [shovels] true", skills, vehicle)
	}

	// Exports import again unchanged, languages beyond kk/ru/en included.
	if _, err := db.Pool().Exec(ctx, `UPDATE volunteers SET languages = '{kk,ru,ko}' WHERE full_name = 'Анна Ли'`); err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct {
		exp  dispatch.ExportKind
		imp  dispatch.ImportKind
		want dispatch.ImportCounts
	}{
		{dispatch.ExportVolunteers, dispatch.ImportVolunteers, dispatch.ImportCounts{Rows: 2, Unchanged: 2}},
		{dispatch.ExportTeams, dispatch.ImportTeams, dispatch.ImportCounts{Rows: 1, Unchanged: 1}},
	} {
		exp, err := db.Export(ctx, importAdmin, k.exp, dispatch.ExportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got, rej := runImport(t, db, k.imp, &sheet.Table{Header: exp.Columns, Rows: exp.Rows}, nil, false)
		if got != k.want {
			t.Errorf("%s export re-imported=%+v, want %+v; rejects %+v", k.exp, got, k.want, rej)
		}
	}
}

// TestExportRoundTrip exports the care addresses as CSV and as XLSX and
// imports each file again: nothing is created or changed.
func TestExportRoundTrip(t *testing.T) {
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	ctx := context.Background()
	table, _ := mustReadSheet(t, "care_ru.csv")
	runImport(t, db, dispatch.ImportCare, table, nil, false)
	exp, err := db.Export(ctx, importAdmin, dispatch.ExportCare, dispatch.ExportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Rows) != 5 || strings.Join(exp.Columns[:9], ",") != strings.Join(dispatch.CareHeader, ",") {
		t.Fatalf("export columns=%v rows=%d", exp.Columns, len(exp.Rows))
	}
	for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		var buf bytes.Buffer
		if err := sheet.Write(&buf, f, "care", exp.Columns, exp.Rows); err != nil {
			t.Fatal(err)
		}
		back, err := sheet.Read(buf.Bytes(), f)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := runImport(t, db, dispatch.ImportCare, back, nil, false)
		if want := (dispatch.ImportCounts{Rows: 5, Unchanged: 5}); got != want {
			t.Errorf("%s: re-import of the export=%+v, want %+v", f, got, want)
		}
	}
	var reads int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'read' AND detail = 'care address exported'`).Scan(&reads); err != nil {
		t.Fatal(err)
	}
	if reads != 5 {
		t.Errorf("export audits=%d, want 5", reads)
	}
	hot := &dispatch.User{Username: "hot", Role: dispatch.RoleHotline, Active: true}
	if _, err := db.Export(ctx, hot, dispatch.ExportCare, dispatch.ExportFilter{}); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("hotline export err=%v, want forbidden", err)
	}
}

// waitImport polls import id until it reaches status or the time is up.
func waitImport(t *testing.T, db *postgres.DB, id int64, status string) *dispatch.Import {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		imp, err := db.FindImport(context.Background(), importAdmin, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Status == status {
			return imp
		}
		if imp.Status == dispatch.ImportFailed || time.Now().After(deadline) {
			t.Fatalf("import status=%s error=%q, want %s", imp.Status, imp.Error, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestImportJob runs an uploaded file through the job queue: staged in the
// background, then applied on confirmation, as the import page does for
// large files.
func TestImportJob(t *testing.T) {
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	ctx := context.Background()
	_, data := mustReadSheet(t, "care_ru.xlsx")
	imp := &dispatch.Import{Kind: dispatch.ImportCare, Format: "xlsx", Filename: "care_ru.xlsx", Content: data}
	if err := db.CreateImport(ctx, importAdmin, imp); err != nil {
		t.Fatal(err)
	}
	if err := db.QueueImport(ctx, importAdmin, imp.ID, false); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.StartJobs(ctx, postgres.JobsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(ctx)
	staged := waitImport(t, db, imp.ID, dispatch.ImportStaged)
	if want := (dispatch.ImportCounts{Rows: 7, Created: 3, Rejected: 4}); staged.Counts != want || staged.RowsDone != 7 || staged.RowsTotal != 7 {
		t.Errorf("staged counts=%+v done=%d/%d, want %+v 7/7", staged.Counts, staged.RowsDone, staged.RowsTotal, want)
	}
	if n := careCount(t, db); n != 0 {
		t.Fatalf("staging created %d care addresses", n)
	}
	if err := db.QueueImport(ctx, importAdmin, imp.ID, true); err != nil {
		t.Fatal(err)
	}
	waitImport(t, db, imp.ID, dispatch.ImportApplied)
	if n := careCount(t, db); n != 3 {
		t.Errorf("care addresses=%d, want 3", n)
	}
	if _, err := db.ImportContent(ctx, importAdmin, imp.ID); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Errorf("content after apply err=%v, want it dropped", err)
	}
}

// bigCareTable builds an n-row care-address file over the gazetteer's
// houses (each house gets several flats), every row valid and distinct;
// operator (1-99) makes the phones differ between files.
func bigCareTable(tb testing.TB, n, operator int) *sheet.Table {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "..", "geo", "data", "addresses_sample.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	houses, err := sheet.Read(data, sheet.CSV)
	if err != nil {
		tb.Fatal(err)
	}
	t := &sheet.Table{Header: []string{"ФИО", "Телефон", "Адрес", "Кв.", "Язык", "Маломобильный", "Примечание"}}
	for i := 0; len(t.Rows) < n; i++ {
		h := houses.Rows[i%len(houses.Rows)]
		flat := i/len(houses.Rows) + 1
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("Пенсионер %d", i), fmt.Sprintf("+7 7%02d %03d %02d %02d", operator, i/10000, (i/100)%100, i%100),
			h[0] + ", " + h[1], strconv.Itoa(flat), []string{"ru", "kk"}[i%2], []string{"нет", "да"}[i%7/6], "",
		})
	}
	return t
}

// BenchmarkImportCare50k imports 50,000 care addresses (staging in
// batches, then one applying transaction), and re-imports the same file
// (everything unchanged). Figures in README (Benchmarks).
func BenchmarkImportCare50k(b *testing.B) {
	db := pgtest.MustOpen(b)
	mustLoadGazetteer(b, db)
	ctx := context.Background()
	run := func(b *testing.B, table *sheet.Table, want dispatch.ImportCounts) {
		imp := &dispatch.Import{Kind: dispatch.ImportCare, Format: "csv"}
		if err := db.CreateImport(ctx, importAdmin, imp); err != nil {
			b.Fatal(err)
		}
		got, err := dispatch.RunImport(ctx, db, importAdmin, imp, table.Header, table.Rows, time.Now(), false)
		if err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("counts=%+v, want %+v", got, want)
		}
	}
	// Each round imports new people (other phones), so nothing needs
	// deleting (the audit log is append-only).
	operator := 0
	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			operator++
			table := bigCareTable(b, 50_000, operator)
			b.StartTimer()
			run(b, table, dispatch.ImportCounts{Rows: 50_000, Created: 50_000})
		}
	})
	first := bigCareTable(b, 50_000, 1) // imported by the first round of New
	b.Run("Again", func(b *testing.B) {
		for b.Loop() {
			run(b, first, dispatch.ImportCounts{Rows: 50_000, Unchanged: 50_000})
		}
	})
}
