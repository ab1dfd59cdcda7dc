package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/sheet"
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
	if status == dispatch.ImportStaged && apply {
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

// QueueImport runs RunImportJob in the background after checking that
// actor may. Until the job queue lands this is a goroutine bound to no
// request (an import interrupted by a restart is marked failed on the page
// and can be uploaded again; nothing is half-applied either way).
func (db *DB) QueueImport(ctx context.Context, actor *dispatch.User, id int64, apply bool) error {
	if _, err := db.FindImport(ctx, actor, id); err != nil {
		return err
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
		defer cancel()
		if err := db.RunImportJob(ctx, id, apply); err != nil {
			_ = db.FailImport(ctx, id, dispatch.ErrorMessage(err))
		}
	}()
	return nil
}
