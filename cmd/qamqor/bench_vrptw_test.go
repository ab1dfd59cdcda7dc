package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchVRPTWSolFiles runs bench vrptw with --routes-out on Solomon
// instances (two threads) and checks that the independent checker accepts
// every .sol file it wrote; then that it rejects broken files.
func TestBenchVRPTWSolFiles(t *testing.T) {
	dir := t.TempDir()
	files := []string{"../../testdata/solomon/R101.txt", "../../testdata/solomon/C201.txt", "../../testdata/solomon/RC105.txt"}
	args := append([]string{"--time-limit", "150ms", "--threads", "2", "--routes-out", dir}, files...)
	if err := runBenchVRPTW(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	in, err := readSolInstance(files[0])
	if err != nil {
		t.Fatal(err)
	}
	sol := filepath.Join(dir, "R101.sol")
	data, err := os.ReadFile(sol)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkSolFile(sol, in); err != nil {
		t.Fatalf("a written file fails: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, tc := range []struct {
		name  string
		edit  func([]string) []string
		error string
	}{
		{"WrongCost", func(l []string) []string { l[len(l)-1] = "Cost 1.00"; return l }, "the routes measure"},
		{"MissingRoute", func(l []string) []string { return l[1:] }, "customers served"},
		{"Twice", func(l []string) []string {
			extra := "Route 99: " + strings.Fields(l[1])[2]
			return append(l[:len(l)-1:len(l)-1], extra, l[len(l)-1])
		}, "twice"},
		{"Reversed", func(l []string) []string {
			head, rest, _ := strings.Cut(l[0], ":")
			f := strings.Fields(rest)
			for i, j := 0, len(f)-1; i < j; i, j = i+1, j-1 {
				f[i], f[j] = f[j], f[i]
			}
			l[0] = head + ": " + strings.Join(f, " ")
			return l
		}, "due time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(dir, tc.name+".sol")
			l := tc.edit(append([]string(nil), lines...))
			if err := os.WriteFile(bad, []byte(strings.Join(l, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := checkSolFile(bad, in)
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Errorf("got %v, want an error with %q", err, tc.error)
			}
		})
	}
}
