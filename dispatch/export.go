package dispatch

import (
	"context"
	"strings"
	"time"
)

// Export writes the registry and the work out as tables: `qamqor export`
// and GET /api/export/{kind} share ExportStore.Export. Each kind has one
// permission (ExportKind.Action); exports with personal data are audited
// by the store.

// ExportKind names what is exported; the names are the CLI's arguments.
type ExportKind string

// Export kinds. ExportHours is the volunteer hours of issue 12b.
const (
	ExportCare       ExportKind = "care-addresses"
	ExportVolunteers ExportKind = "volunteers"
	ExportTeams      ExportKind = "teams"
	ExportRequests   ExportKind = "requests"
	ExportHours      ExportKind = "hours"
)

// ExportKinds lists every kind in the CLI's order.
var ExportKinds = []ExportKind{ExportCare, ExportVolunteers, ExportTeams, ExportRequests, ExportHours}

// ParseExportKind returns the kind named s, or EINVALID.
func ParseExportKind(s string) (ExportKind, error) {
	for _, k := range ExportKinds {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(ExportKinds))
	for i, k := range ExportKinds {
		names[i] = string(k)
	}
	return "", Invalid("kind", "Unknown export %q: use %s.", s, strings.Join(names, ", "))
}

// Action is the permission an export needs: care addresses need
// ActEditCare (and hold personal data); volunteers and teams
// ActManageTeams; requests ActViewRequests; hours ActViewReports.
func (k ExportKind) Action() Action {
	switch k {
	case ExportCare:
		return ActEditCare
	case ExportVolunteers, ExportTeams:
		return ActManageTeams
	case ExportRequests:
		return ActViewRequests
	}
	return ActViewReports
}

// ExportFilter narrows an export to records created (requests: created,
// hours: worked) on the Astana days of Range; a nil Range exports all.
type ExportFilter struct {
	Range *ReportRange
}

// Table is an export: a header of column names and rows of text cells.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]string
}

// ExportStore produces exports.
type ExportStore interface {
	// Export returns the table of kind; EUNAUTHORIZED, EFORBIDDEN,
	// EINVALID for an unknown kind or one this server cannot export yet.
	Export(ctx context.Context, actor *User, kind ExportKind, f ExportFilter) (*Table, error)
}

// LocalTime formats t in Astana as "2006-01-02 15:04" (24-hour), the way
// exports and reports show times.
func LocalTime(t time.Time) string { return t.In(cityZone).Format("2006-01-02 15:04") }
