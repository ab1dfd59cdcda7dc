package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/sheet"
)

func init() {
	commands["import"] = runImport
	commands["export"] = runExport
}

// cliActor is who the command line acts as: an administrator with no users
// row (audit rows name no user and say "import"/"exported").
var cliActor = &dispatch.User{Username: "qamqor-cli", FullName: "command line", Role: dispatch.RoleAdmin, Active: true}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments ("import teams f.csv --dry-run") and returns the
// positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openDB opens DATABASE_URL and refuses an old schema.
func openDB(ctx context.Context) (*postgres.DB, error) {
	cfg, err := LoadConfig()
	if err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, "")
	if err != nil {
		return nil, err
	}
	if ok, pending, err := db.SchemaUpToDate(ctx); err != nil {
		db.Close()
		return nil, err
	} else if !ok {
		db.Close()
		return nil, fmt.Errorf("the database schema is old (pending %v): run `qamqor migrate` first", pending)
	}
	return db, nil
}

// runImport implements
//
//	qamqor import care-addresses|volunteers|teams FILE.csv|FILE.xlsx [--dry-run] [--org ID] [--rejects FILE.csv]
//
// and prints `rows,created,updated,unchanged,rejected` and one line of
// figures. With --dry-run nothing changes and the figures say what would.
func runImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "change nothing; print what would happen")
	org := fs.Int64("org", 0, "organisation id of the volunteers or teams")
	rejects := fs.String("rejects", "", "write rejected rows with line and reason to this CSV file")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return errUsage
	}
	if len(pos) != 2 {
		return fmt.Errorf("want `qamqor import care-addresses|volunteers|teams FILE.csv|FILE.xlsx [--dry-run] [--org ID] [--rejects FILE.csv]`: %w", errUsage)
	}
	kind := dispatch.ImportKind(pos[0])
	if !kind.Valid() {
		return fmt.Errorf("unknown import %q: want care-addresses, volunteers or teams: %w", pos[0], errUsage)
	}
	data, err := os.ReadFile(pos[1])
	if err != nil {
		return err
	}
	format := sheet.FormatOf(pos[1], data)
	table, err := sheet.Read(data, format)
	if err != nil {
		return fmt.Errorf("read %s: %w", pos[1], err)
	}
	db, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	imp := &dispatch.Import{Kind: kind, Filename: filepath.Base(pos[1]), Format: string(format), Header: table.Header}
	if *org != 0 {
		if kind == dispatch.ImportCare {
			return fmt.Errorf("--org is for volunteers and teams; care addresses belong to no organisation: %w", errUsage)
		}
		imp.OrganisationID = org
	}
	if err := db.CreateImport(ctx, cliActor, imp); err != nil {
		return err
	}
	counts, err := dispatch.RunImport(ctx, db, cliActor, imp, table.Header, table.Rows, time.Now(), *dry)
	if *dry {
		// A dry run leaves nothing behind, not even its staged rows.
		defer db.DeleteImport(context.WithoutCancel(ctx), cliActor, imp.ID)
	}
	if err != nil {
		return fmt.Errorf("import %s (nothing was changed): %s", pos[1], dispatch.ErrorMessage(err))
	}
	if *rejects != "" {
		if err := writeRejects(ctx, db, imp.ID, table.Header, *rejects); err != nil {
			return err
		}
	}
	fmt.Println(dispatch.ImportCountsHeader)
	fmt.Println(counts.CSVLine())
	return nil
}

// writeRejects writes the rejected rows of import id as CSV: line, reason
// (English) and the original columns.
func writeRejects(ctx context.Context, db *postgres.DB, id int64, header []string, path string) error {
	var recs [][]string
	after := 0
	for {
		rows, err := db.ImportRows(ctx, cliActor, id, true, after, 5000)
		if err != nil {
			return err
		}
		for _, r := range rows {
			recs = append(recs, dispatch.RejectsRecord(r, "en"))
			after = r.Line
		}
		if len(rows) < 5000 {
			break
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sheet.Write(f, sheet.CSV, "rejects", dispatch.RejectsHeader(header, "en"), recs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runExport implements
//
//	qamqor export care-addresses|volunteers|teams|requests|hours --format csv|xlsx [--from DAY --to DAY]
//
// writing the file to standard output.
func runExport(ctx context.Context, args []string) error {
	return export(ctx, args, os.Stdout)
}

func export(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	format := fs.String("format", "", "csv or xlsx")
	from := fs.String("from", "", "first day, YYYY-MM-DD (Astana)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (Astana)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return errUsage
	}
	if len(pos) != 1 || *format == "" {
		return fmt.Errorf("want `qamqor export care-addresses|volunteers|teams|requests|hours --format csv|xlsx [--from DAY --to DAY]`: %w", errUsage)
	}
	kind, err := dispatch.ParseExportKind(pos[0])
	if err != nil {
		return fmt.Errorf("%s: %w", dispatch.ErrorMessage(err), errUsage)
	}
	f, err := sheet.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	var filter dispatch.ExportFilter
	if *from != "" || *to != "" {
		if *from == "" || *to == "" {
			return fmt.Errorf("give both --from and --to: %w", errUsage)
		}
		rng, err := dispatch.ParseReportRange(*from, *to, time.Now())
		if err != nil {
			return errors.New(dispatch.ErrorMessage(err))
		}
		filter.Range = &rng
	}
	db, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.Export(ctx, cliActor, kind, filter)
	if err != nil {
		return errors.New(dispatch.ErrorMessage(err))
	}
	if err := sheet.Write(w, f, t.Name, t.Columns, t.Rows); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "export %s: %s rows\n", kind, strconv.Itoa(len(t.Rows)))
	return nil
}
