package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"golang.org/x/term"
)

func init() { commands["user"] = runUser }

// runUser implements `qamqor user create --role ROLE --username NAME
// [--full-name TEXT] [--team ID]`: the way to make the first admin of a
// database without demo data. The password is asked twice on a terminal,
// else read as the first line of stdin; it never goes on the command line.
func runUser(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("want `qamqor user create --role ROLE --username NAME`: %w", errUsage)
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	role := fs.String("role", "", "admin, dispatcher, hotline or team_lead")
	username := fs.String("username", "", "the login name")
	fullName := fs.String("full-name", "", "the name shown to others")
	team := fs.Int64("team", 0, "the team of a team lead")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if *role == "" || *username == "" {
		return fmt.Errorf("--role and --username are required: %w", errUsage)
	}
	u := &dispatch.User{Username: *username, FullName: *fullName, Role: dispatch.Role(*role)}
	if *team != 0 {
		u.TeamID = team
	}
	if err := u.Validate(); err != nil {
		return errors.New(dispatch.ErrorMessage(err))
	}
	password, err := readPassword(os.Stdin, os.Stderr)
	if err != nil {
		return err
	}
	if err := dispatch.CheckPassword(password); err != nil {
		return errors.New(dispatch.ErrorMessage(err))
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, "")
	if err != nil {
		return err
	}
	defer db.Close()
	if ok, pending, err := db.SchemaUpToDate(ctx); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("the database schema is old (pending %v): run `qamqor migrate` first", pending)
	}
	if err := db.CreateUser(ctx, u, password); err != nil {
		if dispatch.ErrorCode(err) == dispatch.ECONFLICT {
			return fmt.Errorf("user %q already exists", u.Username)
		}
		if m := dispatch.ErrorMessage(err); dispatch.ErrorCode(err) != dispatch.EINTERNAL {
			return errors.New(m)
		}
		return err
	}
	fmt.Printf("Created %s %s (id %d).\n", u.Role, u.Username, u.ID)
	return nil
}

// readPassword asks twice without echo on a terminal; otherwise it reads
// the first line of in (for scripts: `echo "$PW" | qamqor user create ...`).
func readPassword(in *os.File, prompt io.Writer) (string, error) {
	fd := int(in.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(prompt, "Password: ")
		p1, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Repeat: ")
		p2, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on stdin (give it as the first line)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
