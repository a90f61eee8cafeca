package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// config is the service's configuration, read from the environment, with
// flags of the same meaning taking precedence.
type config struct {
	HTTPAddr        string
	DatabaseURL     string
	TemporalAddress string
	Namespace       string
	UIAddr          string
	DataDir         string
	APIKey          string
	Role            string
}

// setting ties an environment variable to a flag and a config field.
type setting struct {
	env, flag, def, usage string
	field                 func(*config) *string
	commands              string // the subcommands that read it
}

var settings = []setting{
	{"JOURNEYS_HTTP_ADDR", "http-addr", "127.0.0.1:8080", "where the API listens", func(c *config) *string { return &c.HTTPAddr }, "dev serve"},
	{"DATABASE_URL", "database-url", "postgres://postgres@127.0.0.1:5432/journeys?sslmode=disable", "the Postgres database", func(c *config) *string { return &c.DatabaseURL }, "dev serve migrate"},
	{"TEMPORAL_ADDRESS", "temporal-address", "127.0.0.1:7233", "the Temporal frontend (dev: where the embedded one listens)", func(c *config) *string { return &c.TemporalAddress }, "dev serve migrate"},
	{"TEMPORAL_NAMESPACE", "namespace", "default", "the Temporal namespace", func(c *config) *string { return &c.Namespace }, "dev serve migrate"},
	{"JOURNEYS_TEMPORAL_UI_ADDR", "ui-addr", "127.0.0.1:8233", "where the embedded Temporal UI listens", func(c *config) *string { return &c.UIAddr }, "dev"},
	{"JOURNEYS_DATA_DIR", "data-dir", ".journeys", "where the embedded Temporal server keeps its SQLite file", func(c *config) *string { return &c.DataDir }, "dev"},
	{"JOURNEYS_API_KEY", "api-key", "", "the bearer token the API requires", func(c *config) *string { return &c.APIKey }, "dev serve"},
	{"JOURNEYS_ROLE", "role", "all", "what serve runs: api, worker or all", func(c *config) *string { return &c.Role }, "serve"},
}

// loadConfig reads the settings of command from getenv and args, and
// checks them. Each error names the variable to fix.
func loadConfig(command string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("journeys "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range settings {
		if !strings.Contains(" "+s.commands+" ", " "+command+" ") {
			continue
		}
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.field(&c), s.flag, def, fmt.Sprintf("%s (%s)", s.usage, s.env))
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.check(command)
}

func (c config) check(command string) error {
	if command != "migrate" {
		if _, _, err := splitHostPort(c.HTTPAddr); err != nil {
			return fmt.Errorf("JOURNEYS_HTTP_ADDR: %w", err)
		}
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || strings.TrimPrefix(u.Path, "/") == "" {
		return errors.New("DATABASE_URL: want postgres://user@host:5432/dbname?sslmode=disable")
	}
	if _, _, err := splitHostPort(c.TemporalAddress); err != nil {
		return fmt.Errorf("TEMPORAL_ADDRESS: %w", err)
	}
	if c.Namespace == "" {
		return errors.New("TEMPORAL_NAMESPACE: must not be empty")
	}
	switch command {
	case "dev":
		if _, _, err := splitHostPort(c.UIAddr); err != nil {
			return fmt.Errorf("JOURNEYS_TEMPORAL_UI_ADDR: %w", err)
		}
		if c.DataDir == "" {
			return errors.New("JOURNEYS_DATA_DIR: must not be empty")
		}
	case "serve":
		if c.Role != "api" && c.Role != "worker" && c.Role != "all" {
			return fmt.Errorf("JOURNEYS_ROLE: %q is not one of api, worker, all", c.Role)
		}
		if c.APIKey == "" && c.Role != "worker" {
			return errors.New("JOURNEYS_API_KEY: required; set the bearer token the panel sends")
		}
	}
	return nil
}
