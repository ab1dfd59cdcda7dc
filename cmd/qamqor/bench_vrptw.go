package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/qamqor/qamqor/routing"
)

func init() {
	benchCommands["vrptw"] = runBenchVRPTW
}

// runBenchVRPTW implements
//
//	qamqor bench vrptw [--time-limit 1s] [--seed N] [--threads N] [--bks FILE] [--routes-out DIR] FILE...
//
// It solves Solomon-format VRPTW instances (Solomon, Gehring-Homberger)
// one after another, each on --threads solver threads (default: all
// cores), and prints a CSV report (see routing.RunBench) to stdout.
func runBenchVRPTW(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench vrptw", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeLimit := fs.Duration("time-limit", time.Second, "time limit per instance")
	seed := fs.Int64("seed", 1, "random seed")
	bksFile := fs.String("bks", "", "CSV of best-known solutions (instance,vehicles,distance)")
	routesOut := fs.String("routes-out", "", "directory to write <instance>.sol route files")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "solver threads per instance (default: all cores)")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		fs.SetOutput(os.Stderr)
		fmt.Fprintln(os.Stderr, "usage: qamqor bench vrptw [--time-limit 1s] [--seed N] [--threads N] [--bks FILE] [--routes-out DIR] FILE...")
		fs.PrintDefaults()
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return fmt.Errorf("bench vrptw: no instance files given")
	}
	if *threads < 1 {
		return fmt.Errorf("bench vrptw: --threads must be at least 1")
	}
	cfg := routing.BenchConfig{TimeLimit: *timeLimit, Seed: *seed, RoutesOut: *routesOut, Threads: *threads}
	if *bksFile != "" {
		f, err := os.Open(*bksFile)
		if err != nil {
			return fmt.Errorf("bench vrptw: %w", err)
		}
		cfg.BKS, err = routing.ReadBKS(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("bench vrptw: %s: %w", *bksFile, err)
		}
	}
	res, err := routing.RunBench(ctx, os.Stdout, files, cfg)
	if err != nil || *routesOut == "" {
		return err
	}
	// Re-score every .sol written with the independent checker.
	byName := map[string]string{}
	for _, f := range files {
		byName[strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))] = f
	}
	for _, r := range res {
		in, err := readSolInstance(byName[r.Instance])
		if err != nil {
			return fmt.Errorf("bench vrptw: check: %w", err)
		}
		d, err := checkSolFile(filepath.Join(*routesOut, r.Instance+".sol"), in)
		if err != nil {
			return fmt.Errorf("bench vrptw: check: %w", err)
		}
		if math.Abs(d-r.Distance) > 0.005 {
			return fmt.Errorf("bench vrptw: check: %s.sol measures %.4f, the report says %.2f", r.Instance, d, r.Distance)
		}
	}
	fmt.Fprintf(os.Stderr, "bench vrptw: %d .sol files re-scored by the independent checker: all feasible, distances as reported\n", len(res))
	return nil
}
