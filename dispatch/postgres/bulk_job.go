package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/sheet"
	"github.com/riverqueue/river"
)

// RunImportJob stages import id from its stored file and, when apply is
// set, applies it, acting as the user who uploaded it. It is what the
// background job runs for large files, and what the import page runs
// directly for small ones. Running it again is safe: staging replaces the
// staged rows and ApplyImport refuses an import already applied.
func (db *DB) RunImportJob(ctx context.Context, id int64, apply bool) error {
	var createdBy *int64
	var status string
	if err := db.pool.QueryRow(ctx, `SELECT created_by, status FROM imports WHERE id = $1`, id).Scan(&createdBy, &status); err != nil {
		return translate(err, "Import")
	}
	actor, err := db.importActor(ctx, createdBy)
	if err != nil {
		return err
	}
	if status == dispatch.ImportApplied {
		return nil
	}
	if (status == dispatch.ImportStaged || status == dispatch.ImportApplying) && apply {
		_, err := db.ApplyImport(ctx, actor, id)
		if err != nil {
			_ = db.FailImport(context.WithoutCancel(ctx), id, dispatch.ErrorMessage(err))
		}
		return err
	}
	imp, err := db.FindImport(ctx, actor, id)
	if err != nil {
		return err
	}
	content, err := db.ImportContent(ctx, actor, id)
	if err != nil {
		return err
	}
	t, err := sheet.Read(content, sheet.Format(imp.Format))
	if err != nil {
		msg := "The file cannot be read as " + imp.Format + "."
		_ = db.FailImport(ctx, id, msg)
		return dispatch.Invalid("file", "The file cannot be read as %s.", imp.Format).Wrap(err)
	}
	_, err = dispatch.RunImport(ctx, db, actor, imp, t.Header, t.Rows, db.Now(), !apply)
	return err
}

// importActor is the user an import acts as: its uploader, or the command
// line's system administrator when it has none.
func (db *DB) importActor(ctx context.Context, id *int64) (*dispatch.User, error) {
	if id == nil {
		return &dispatch.User{Username: "qamqor-cli", Role: dispatch.RoleAdmin, Active: true}, nil
	}
	var u dispatch.User
	err := db.pool.QueryRow(ctx, `SELECT id, username, full_name, role, organisation_id, team_id, active FROM users WHERE id = $1`, *id).
		Scan(&u.ID, &u.Username, &u.FullName, &u.Role, &u.OrganisationID, &u.TeamID, &u.Active)
	if err != nil {
		return nil, fmt.Errorf("import actor user=%d: %w", *id, translate(err, "User"))
	}
	return &u, nil
}

// ImportArgs is a queued import: stage the stored file and, when Apply is
// set, apply it. The file and the staged rows live in imports and
// import_rows; the job carries only the id.
type ImportArgs struct {
	ImportID int64 `json:"import_id"`
	Apply    bool  `json:"apply"`
}

// Kind implements river.JobArgs.
func (ImportArgs) Kind() string { return "import" }

// importMaxAttempts: an import interrupted by a crash runs again (staging
// replaces what was staged; applying is one transaction); one failing this
// often stays failed.
const importMaxAttempts = 3

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: importMaxAttempts}
}

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	db *DB
}

// Timeout: 50,000 rows stage and apply in well under a minute; leave room
// for a busy machine.
func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return 10 * time.Minute }

func (w *importWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	err := w.db.RunImportJob(ctx, job.Args.ImportID, job.Args.Apply)
	if err != nil && dispatch.ErrorCode(err) != dispatch.EINTERNAL {
		// A bad file, a missing permission or a conflict will not change
		// on a retry; RunImport has marked the import failed.
		return river.JobCancel(err)
	}
	return err
}

func init() {
	jobKinds = append(jobKinds, func(w *river.Workers, db *DB, cfg JobsConfig) []*river.PeriodicJob {
		river.AddWorker(w, &importWorker{db: db})
		return nil
	})
}

// QueueImport queues an import job for import id after checking that
// actor may, in the same transaction that marks the import queued
// (applying when apply is set), so the page shows the job from the start.
func (db *DB) QueueImport(ctx context.Context, actor *dispatch.User, id int64, apply bool) error {
	if _, err := db.FindImport(ctx, actor, id); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		status := dispatch.ImportNew
		if apply {
			status = dispatch.ImportApplying
		}
		if _, err := tx.Exec(ctx, `UPDATE imports SET status = $2, updated_at = now() WHERE id = $1`, id, status); err != nil {
			return fmt.Errorf("queue import id=%d: %w", id, err)
		}
		_, err := db.insertJob(ctx, tx, ImportArgs{ImportID: id, Apply: apply}, nil)
		return err
	})
}
