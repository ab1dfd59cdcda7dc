package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestImportExportCommands runs the binary as a user would: the exact two
// lines of `qamqor import`, --dry-run, --rejects, a re-import that creates
// nothing, and `qamqor export` writing the canonical header.
func TestImportExportCommands(t *testing.T) {
	db := pgtest.MustOpen(t)
	dsn := pgtest.URL()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	env := []string{"DATABASE_URL=" + dsn + sep + "search_path=" + db.Schema() + ",public"}
	bin := buildBinary(t)
	runQamqor(t, bin, env, "demo", "load")
	stdout := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("qamqor %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	file := filepath.Join("..", "..", "testdata", "import", "care_ru.csv")
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "care-addresses", file, "--dry-run"}, "rows,created,updated,unchanged,rejected\n10,5,0,0,5\n"},
		{[]string{"import", "care-addresses", file, "--rejects", rejects}, "rows,created,updated,unchanged,rejected\n10,5,0,0,5\n"},
		{[]string{"import", "care-addresses", file}, "rows,created,updated,unchanged,rejected\n10,0,0,5,5\n"},
	} {
		if got := stdout(c.args...); got != c.want {
			t.Errorf("qamqor %v printed %q, want %q", c.args, got, c.want)
		}
	}
	rej, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(rej)), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "line,reason,ФИО,Телефон,Адрес") || !strings.HasPrefix(lines[1], "7,No address.,Ким Виктор") {
		t.Errorf("rejects file:\n%s", rej)
	}
	out := stdout("export", "care-addresses", "--format", "csv")
	if !strings.HasPrefix(out, "name,phone,address,flat,entrance,floor,language,immobile,notes,") || !strings.Contains(out, "Иванова Мария Петровна") {
		t.Errorf("export starts %q", out[:min(len(out), 200)])
	}
	cmd := exec.Command(bin, "import", "care-addresses", file, "--org", "1")
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Run(); err == nil {
		t.Errorf("--org with care addresses was accepted")
	}
}
