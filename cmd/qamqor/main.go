// Command qamqor is the one Qamqor binary: serve, migrate, import-osm, demo,
// bench. It is wiring and configuration only.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// commands maps a subcommand name to its entry point; each lives in its own
// file and registers itself in init.
var commands = map[string]func(ctx context.Context, args []string) error{}

// benchCommands are the `qamqor bench NAME` subcommands.
var benchCommands = map[string]func(ctx context.Context, args []string) error{}

// errUsage makes main print the usage and exit with status 2.
var errUsage = errors.New("usage")

func init() {
	commands["bench"] = runBench
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		usage()
		os.Exit(2)
	}
	if err := cmd(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, errUsage) {
			usage()
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "qamqor %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: qamqor COMMAND [flags]\n\ncommands:")
	for _, n := range sortedKeys(commands) {
		fmt.Fprintln(os.Stderr, "  "+n)
	}
	fmt.Fprintln(os.Stderr, "\nbench subcommands:")
	for _, n := range sortedKeys(benchCommands) {
		fmt.Fprintln(os.Stderr, "  bench "+n)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	cmd, ok := benchCommands[args[0]]
	if !ok {
		return fmt.Errorf("unknown benchmark %q: %w", args[0], errUsage)
	}
	return cmd(ctx, args[1:])
}
