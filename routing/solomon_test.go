package routing

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseSolomon(t *testing.T) {
	in, err := ReadSolomon("../testdata/solomon/C101.txt")
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "C101" || in.Vehicles != 25 || in.Capacity != 200 || len(in.Points) != 101 {
		t.Fatalf("parsed %q vehicles %d capacity %d points %d", in.Name, in.Vehicles, in.Capacity, len(in.Points))
	}
	if in.Due[0] != 1236 || in.Points[1] != (Point{45, 68}) || in.Demand[1] != 10 || in.Ready[1] != 912 || in.Service[1] != 90 {
		t.Errorf("unexpected values: due0 %v p1 %v", in.Due[0], in.Points[1])
	}
	// LF line endings parse the same.
	raw, _ := os.ReadFile("../testdata/solomon/C101.txt")
	lf, err := ParseSolomon(bytes.NewReader(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))))
	if err != nil || len(lf.Points) != 101 {
		t.Fatalf("LF: %v", err)
	}
	if _, err := ParseSolomon(strings.NewReader("X\nVEHICLE\nNUMBER CAPACITY\n1 2 3\n")); err == nil {
		t.Error("bad vehicle line accepted")
	}
}

// TestSolutionFileDistance solves an instance, writes the .sol file, reads
// it back and recomputes its distance from the instance coordinates
// independently of the solver and of Check.
func TestSolutionFileDistance(t *testing.T) {
	for _, name := range []string{"R101", "C201"} {
		in, err := ReadSolomon("../testdata/solomon/" + name + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		p := in.Problem()
		s := solveChecked(t, p, Options{MaxIterations: 300, Seed: 1})
		if len(s.Unassigned) != 0 {
			t.Fatalf("%s: %d unassigned", name, len(s.Unassigned))
		}
		var buf bytes.Buffer
		if err := WriteSolomonSolution(&buf, s); err != nil {
			t.Fatal(err)
		}
		routes, err := ReadSolomonSolution(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, r := range routes {
			for _, c := range r {
				if seen[c] {
					t.Fatalf("%s: customer %d twice", name, c)
				}
				seen[c] = true
			}
		}
		if len(seen) != len(in.Points)-1 {
			t.Fatalf("%s: .sol has %d customers", name, len(seen))
		}
		d, err := in.SolomonRouteDistance(routes)
		if err != nil {
			t.Fatal(err)
		}
		printed := fmt.Sprintf("%.2f", s.Distance)
		if fmt.Sprintf("%.2f", d) != printed || !strings.Contains(buf.String(), "Cost "+printed) {
			t.Errorf("%s: recomputed %.4f, printed %s", name, d, printed)
		}
	}
}

func TestRunBenchCSV(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	files := []string{"../testdata/solomon/C101.txt", "../testdata/solomon/R201.txt"}
	bks := map[string]BKS{"C101": {10, 828.94}}
	res, err := RunBench(context.Background(), &out, files, BenchConfig{TimeLimit: 50 * time.Millisecond, Seed: 1, BKS: bks, RoutesOut: dir})
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(&out)
	cr.FieldsPerRecord = -1 // instance rows have 6 fields, summary rows 8
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	if strings.Join(recs[0], ",") != "instance,vehicles,distance,seconds,feasible,gap_pct" {
		t.Errorf("header %v", recs[0])
	}
	if len(res) != 2 || recs[1][0] != "C101" || recs[1][4] != "true" || recs[1][5] == "" || recs[2][5] != "" {
		t.Errorf("rows %v", recs[1:3])
	}
	gap, _ := strconv.ParseFloat(recs[1][5], 64)
	if math.Abs(gap-res[0].Gap) > 0.01 {
		t.Errorf("gap %v vs %v", gap, res[0].Gap)
	}
	var fams []string
	for _, r := range recs[3:] {
		if r[0] != "summary" || len(r) != 8 {
			t.Errorf("bad summary row %v", r)
		}
		fams = append(fams, r[1])
	}
	if strings.Join(fams, ",") != "C1,R2,all" {
		t.Errorf("summary families %v", fams)
	}
	for _, n := range []string{"C101.sol", "R201.sol"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Error(err)
		}
	}
}

func TestSolomonFamily(t *testing.T) {
	for in, want := range map[string]string{"C101": "C1", "c208": "C2", "R112": "R1", "RC204": "RC2", "X": ""} {
		if got := SolomonFamily(in); got != want {
			t.Errorf("%s: %q want %q", in, got, want)
		}
	}
}
