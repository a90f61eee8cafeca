// Command journeys runs the journey engine: the REST API, the Temporal
// worker, and for laptops an embedded Temporal server with its UI.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // user time zones on hosts without a zoneinfo database
)

const usage = `journeys runs customer journeys as durable Temporal workflows.

Usage:
  journeys dev       run everything in one process: embedded Temporal + UI, migrations, worker, API
  journeys serve     run the API and/or worker against a Temporal cluster (--role api|worker|all)
  journeys temporal  run the embedded Temporal server (and UI) alone, for serve processes on one machine
  journeys migrate   apply Postgres migrations and register Temporal search attributes
  journeys enroll    enroll the users of a CSV file in a journey through the API (--journey ID --file users.csv)

Run "journeys <command> -h" for a command's settings.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "journeys:", err)
		}
		os.Exit(1)
	}
}

// run executes the subcommand in args until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	command, args := args[0], args[1:]
	switch command {
	case "dev", "serve", "migrate", "temporal":
	case "enroll":
		return enroll(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", command)
	}
	cfg, err := loadConfig(command, args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch command {
	case "dev":
		return dev(ctx, cfg, log, stdout)
	case "serve":
		return serve(ctx, cfg, log)
	case "temporal":
		return runTemporal(ctx, cfg, log, stdout)
	default:
		return migrate(ctx, cfg, log)
	}
}
