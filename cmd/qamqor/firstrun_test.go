package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// userCreate runs `qamqor user create` with stdin and returns its output
// and whether it succeeded.
func userCreate(t *testing.T, bin string, env []string, stdin string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"user", "create"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestFirstRun: a database without demo data gets its first admin from
// `qamqor user create` (password on stdin), who can log in; no demo
// password works; behind an https public URL the cookie is Secure.
func TestFirstRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	db := pgtest.MustOpen(t)
	dsn := pgtest.URL()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	env := []string{"DATABASE_URL=" + dsn + sep + "search_path=" + db.Schema() + ",public"}
	bin := buildBinary(t)

	if out, ok := userCreate(t, bin, env, "correct-horse-1\n", "--role", "admin", "--username", "Boss"); !ok || !strings.Contains(out, "Created admin boss") {
		t.Fatalf("user create: ok=%v output %q", ok, out)
	}
	for _, tc := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"Duplicate", "correct-horse-1\n", "already exists", []string{"--role", "admin", "--username", "boss"}},
		{"ShortPassword", "short\n", "8 to 72 characters", []string{"--role", "admin", "--username", "boss2"}},
		{"NoPassword", "", "no password", []string{"--role", "admin", "--username", "boss3"}},
		{"UnknownRole", "correct-horse-1\n", "Unknown role", []string{"--role", "root", "--username", "boss4"}},
		{"LeadWithoutTeam", "correct-horse-1\n", "needs a team", []string{"--role", "team_lead", "--username", "boss5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := userCreate(t, bin, env, tc.stdin, tc.args...)
			if ok || !strings.Contains(out, tc.want) {
				t.Fatalf("ok=%v output %q, want a failure saying %q", ok, out, tc.want)
			}
		})
	}
	if strings.Contains(strings.Join(os.Args, " "), "correct-horse") {
		t.Fatal("the password must never be an argument")
	}

	const public = "https://qamqor.example.kz"
	inst := startInstance(t, bin, append(env, "QAMQOR_PUBLIC_URL="+public))
	try := func(user, pass string, want int) *http.Response {
		req, _ := http.NewRequest("POST", inst.url+"/api/login", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", public)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("login %s: status %d, want %d", user, resp.StatusCode, want)
		}
		return resp
	}
	try("admin", "admin-demo", http.StatusUnauthorized)
	resp := try("boss", "correct-horse-1", http.StatusOK)
	var secure bool
	for _, c := range resp.Cookies() {
		secure = secure || (c.Name == "qamqor_session" && c.Secure && c.HttpOnly)
	}
	if !secure {
		t.Fatalf("cookies %v: want a Secure, HttpOnly session cookie behind %s", resp.Cookies(), public)
	}
}

// TestComposeDemoOnlyOnRequest: `docker compose up` must not load the demo
// (known passwords); only the demo profile does, and the app gets its
// public URL so cookies can be Secure.
func TestComposeDemoOnlyOnRequest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	services := composeServices(string(b))
	app, ok := services["app"]
	if !ok {
		t.Fatalf("no app service in docker-compose.yml")
	}
	if strings.Contains(app, "demo load") {
		t.Errorf("the app service loads the demo data unconditionally:\n%s", app)
	}
	if !strings.Contains(app, "QAMQOR_PUBLIC_URL") {
		t.Errorf("the app service does not pass QAMQOR_PUBLIC_URL")
	}
	demoSvc := ""
	for name, body := range services {
		if strings.Contains(body, "demo load") {
			demoSvc = name
			if !strings.Contains(body, "profiles:") || !strings.Contains(body, "demo") {
				t.Errorf("service %s loads the demo without the demo profile:\n%s", name, body)
			}
		}
	}
	if demoSvc == "" {
		t.Errorf("no service loads the demo under the demo profile")
	}
}

// composeServices splits the services: section of a compose file into the
// text of each service (two-space indented names).
func composeServices(yml string) map[string]string {
	out := map[string]string{}
	in, name := false, ""
	for _, line := range strings.Split(yml, "\n") {
		switch {
		case line == "services:":
			in = true
			continue
		case in && line != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#"):
			in = false
		}
		if !in {
			continue
		}
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":") {
			name = strings.TrimSuffix(strings.TrimSpace(line), ":")
			continue
		}
		if name != "" {
			out[name] += line + "\n"
		}
	}
	return out
}
