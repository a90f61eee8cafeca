package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"journeys/channels"
	"journeys/metrics"
	"journeys/runs"
)

// config is the service's configuration, read from the environment, with
// flags of the same meaning taking precedence.
type config struct {
	HTTPAddr        string
	DatabaseURL     string
	TemporalAddress string
	Namespace       string
	// Temporal is how to connect to Temporal: address, namespace, API
	// key and TLS, from the SDK's environment configuration.
	Temporal client.Options
	// TemporalCompression is how requests to Temporal are compressed:
	// "none" or "gzip".
	TemporalCompression string
	UIAddr              string
	TemporalUIURL       string
	DataDir             string
	APIKey              string
	AdminKey            string
	Role                string
	OfferSecret         string
	SecretKey           string
	PublicURL           string
	HTTP                httpTimeouts
	Channels            channelConfig
	// MetricsAddr is where GET /metrics listens; empty serves none.
	MetricsAddr string
	// ShutdownTimeout bounds how long, after SIGTERM, the API finishes the
	// requests in flight and the worker the activities it runs.
	ShutdownTimeout time.Duration
	// Metrics is what the service tells Prometheus; nil counts nothing.
	// Not a setting: serve and dev make it.
	Metrics *metrics.Metrics
	// SweepEvery is how often the worker's sweep looks for runs Temporal
	// closed behind the service's back; 0 is workflows.DefaultSweepEvery.
	// Not a setting: tests shorten it.
	SweepEvery time.Duration
	// Deliveries sizes the delivery of events to their runs after their
	// answers; zero values are the defaults.
	Deliveries runs.DeliveryOptions
}

// httpTimeouts bound how long one client may hold a connection to the
// API. Zero means the default.
type httpTimeouts struct {
	// Read is how long a request may take to arrive, headers and body.
	Read time.Duration
	// Write is how long the answer may take, from the end of the headers.
	Write time.Duration
	// Idle is how long a kept-alive connection may wait for its next request.
	Idle time.Duration
	// Bulk replaces Read and Write on the bulk routes: audience imports,
	// whose files run to hundreds of MB, and batches.
	Bulk time.Duration
}

// defaultHTTPTimeouts are the API's timeouts when none are configured.
var defaultHTTPTimeouts = httpTimeouts{Read: 30 * time.Second, Write: time.Minute, Idle: 2 * time.Minute, Bulk: 30 * time.Minute}

// setting ties an environment variable to a flag and a config field.
type setting struct {
	env, flag, def, usage string
	field                 func(*config) *string
	commands              string // the subcommands that read it
}

var settings = append([]setting{
	{"JOURNEYS_HTTP_ADDR", "http-addr", "127.0.0.1:8080", "where the API listens", func(c *config) *string { return &c.HTTPAddr }, "dev serve"},
	{"DATABASE_URL", "database-url", "postgres://postgres@127.0.0.1:5432/journeys?sslmode=disable", "the Postgres database", func(c *config) *string { return &c.DatabaseURL }, "dev serve migrate"},
	// No defaults here: a temporal.toml profile comes between them and the
	// environment (see temporalConnection).
	{"TEMPORAL_ADDRESS", "temporal-address", "", "the Temporal frontend, default " + defaultTemporalAddress + " (dev: where the embedded one listens)", func(c *config) *string { return &c.TemporalAddress }, "dev serve migrate temporal"},
	{"TEMPORAL_NAMESPACE", "namespace", "", "the Temporal namespace, default " + defaultNamespace, func(c *config) *string { return &c.Namespace }, "dev serve migrate temporal"},
	{"JOURNEYS_TEMPORAL_COMPRESSION", "temporal-compression", "none", "how requests to Temporal and its answers are compressed: none, or gzip where the network is slow or metered", func(c *config) *string { return &c.TemporalCompression }, "dev serve migrate"},
	{"JOURNEYS_TEMPORAL_UI_ADDR", "ui-addr", "127.0.0.1:8233", "where the embedded Temporal UI listens", func(c *config) *string { return &c.UIAddr }, "dev temporal"},
	{"JOURNEYS_TEMPORAL_UI_URL", "temporal-ui-url", "", "the Temporal UI's address, for links to runs (dev: http://<JOURNEYS_TEMPORAL_UI_ADDR>)", func(c *config) *string { return &c.TemporalUIURL }, "dev serve"},
	{"JOURNEYS_DATA_DIR", "data-dir", ".journeys", "where the embedded Temporal server keeps its SQLite file", func(c *config) *string { return &c.DataDir }, "dev temporal"},
	{"JOURNEYS_API_KEY", "api-key", "", "a key of the default workspace, kept from before workspaces (dev: dev)", func(c *config) *string { return &c.APIKey }, "dev serve"},
	{"JOURNEYS_ADMIN_KEY", "admin-key", "", "the bearer token of the admin routes, /v1/workspaces (dev: dev-admin)", func(c *config) *string { return &c.AdminKey }, "dev serve"},
	{"JOURNEYS_ROLE", "role", "all", "what serve runs: api, worker or all", func(c *config) *string { return &c.Role }, "serve"},
	{"JOURNEYS_PUBLIC_URL", "public-url", "", "where people reach the API from their mail, for unsubscribe links (dev: http://<JOURNEYS_HTTP_ADDR>)", func(c *config) *string { return &c.PublicURL }, "dev serve"},
	{"JOURNEYS_METRICS_ADDR", "metrics-addr", "", "where GET /metrics listens for Prometheus, such as 0.0.0.0:9090; unset, nowhere", func(c *config) *string { return &c.MetricsAddr }, "dev serve"},
	{"JOURNEYS_OFFER_SECRET", "offer-secret", "", "the key discount codes are derived with", func(c *config) *string { return &c.OfferSecret }, "dev serve"},
	{"JOURNEYS_SECRET_KEY", "secret-key", "", "32 bytes, base64 or hex, that seal workspaces' provider secrets (openssl rand -base64 32)", func(c *config) *string { return &c.SecretKey }, "dev serve"},
}, channelSettings...)

// durationSetting ties an environment variable holding a duration to a
// flag and a config field; dev and serve read them all.
type durationSetting struct {
	env, flag string
	def       time.Duration
	usage     string
	field     func(*config) *time.Duration
}

var durationSettings = []durationSetting{
	{"JOURNEYS_HTTP_READ_TIMEOUT", "http-read-timeout", defaultHTTPTimeouts.Read, "how long a request to the API may take to arrive", func(c *config) *time.Duration { return &c.HTTP.Read }},
	{"JOURNEYS_HTTP_WRITE_TIMEOUT", "http-write-timeout", defaultHTTPTimeouts.Write, "how long the API's answer may take", func(c *config) *time.Duration { return &c.HTTP.Write }},
	{"JOURNEYS_HTTP_IDLE_TIMEOUT", "http-idle-timeout", defaultHTTPTimeouts.Idle, "how long an idle kept-alive connection stays open", func(c *config) *time.Duration { return &c.HTTP.Idle }},
	{"JOURNEYS_SHUTDOWN_TIMEOUT", "shutdown-timeout", defaultShutdownTimeout, "how long, after SIGTERM, requests in flight and running activities have to finish", func(c *config) *time.Duration { return &c.ShutdownTimeout }},
	{"JOURNEYS_BULK_TIMEOUT", "bulk-timeout", defaultHTTPTimeouts.Bulk, "how long an audience import or a batch may take to arrive and be answered", func(c *config) *time.Duration { return &c.HTTP.Bulk }},
}

// defaultShutdownTimeout is how long a stopping process waits for its
// requests and activities: longer than most sends take with their retries
// inside one attempt, shorter than the 30 s orchestrators give by default
// before a SIGKILL would cut everything.
const defaultShutdownTimeout = 25 * time.Second

// minOfferSecret is the shortest JOURNEYS_OFFER_SECRET accepted.
const minOfferSecret = 16

// loadConfig reads the settings of command from getenv and args, and
// checks them. Each error names the variable to fix.
func loadConfig(command string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("journeys "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var used []setting
	for _, s := range settings {
		if strings.Contains(" "+s.commands+" ", " "+command+" ") {
			fs.StringVar(s.field(&c), s.flag, s.def, fmt.Sprintf("%s (%s)", s.usage, s.env))
			used = append(used, s)
		}
	}
	var durations []durationSetting
	if command == "dev" || command == "serve" {
		durations = durationSettings
	}
	for _, s := range durations {
		fs.DurationVar(s.field(&c), s.flag, s.def, fmt.Sprintf("%s (%s)", s.usage, s.env))
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// The environment fills what no flag set. It is read after parsing so
	// that -h never prints a secret from it as a default.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range used {
		if v := getenv(s.env); v != "" && !given[s.flag] {
			*s.field(&c) = v
		}
	}
	for _, s := range durations {
		if v := getenv(s.env); v != "" && !given[s.flag] {
			d, err := time.ParseDuration(v)
			if err != nil {
				return c, fmt.Errorf("%s: want a duration such as %s, got %q", s.env, s.def, v)
			}
			*s.field(&c) = d
		}
		if *s.field(&c) <= 0 {
			return c, fmt.Errorf("%s: must be more than zero, such as %s", s.env, s.def)
		}
	}
	if command == "dev" || command == "temporal" {
		// The embedded server has no TLS and no keys: only where it listens.
		c.TemporalAddress = cmp.Or(c.TemporalAddress, defaultTemporalAddress)
		c.Namespace = cmp.Or(c.Namespace, defaultNamespace)
		c.Temporal = client.Options{HostPort: c.TemporalAddress, Namespace: c.Namespace}
	} else {
		opts, err := temporalConnection(getenv, c.TemporalAddress, c.Namespace)
		if err != nil {
			return c, err
		}
		c.Temporal, c.TemporalAddress, c.Namespace = opts, opts.HostPort, opts.Namespace
	}
	if c.TemporalCompression == "gzip" {
		c.Temporal.ConnectionOptions.GrpcCompression = &client.GrpcCompressionGzip{}
	}
	return c, c.check(command)
}

func (c config) check(command string) error {
	if command == "dev" || command == "serve" {
		if _, _, err := splitHostPort(c.HTTPAddr); err != nil {
			return fmt.Errorf("JOURNEYS_HTTP_ADDR: %w", err)
		}
	}
	if command != "temporal" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || strings.TrimPrefix(u.Path, "/") == "" {
			return errors.New("DATABASE_URL: want postgres://user@host:5432/dbname?sslmode=disable")
		}
	}
	if _, _, err := splitHostPort(c.TemporalAddress); err != nil {
		return fmt.Errorf("TEMPORAL_ADDRESS: %w", err)
	}
	if c.Namespace == "" {
		return errors.New("TEMPORAL_NAMESPACE: must not be empty")
	}
	if command != "temporal" && c.TemporalCompression != "none" && c.TemporalCompression != "gzip" {
		return fmt.Errorf("JOURNEYS_TEMPORAL_COMPRESSION: %q is not one of none, gzip", c.TemporalCompression)
	}
	if c.MetricsAddr != "" {
		if _, _, err := splitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("JOURNEYS_METRICS_ADDR: %w", err)
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("JOURNEYS_PUBLIC_URL: want an address such as https://journeys.example.com, got %q", c.PublicURL)
		}
		if c.APIKey == "" && command == "serve" {
			return errors.New("JOURNEYS_API_KEY: required with JOURNEYS_PUBLIC_URL: unsubscribe links are signed with it")
		}
	}
	if c.OfferSecret != "" && len(c.OfferSecret) < minOfferSecret {
		return fmt.Errorf("JOURNEYS_OFFER_SECRET: %d characters is too short to keep discount codes secret; use at least %d random ones (openssl rand -hex 32)", len(c.OfferSecret), minOfferSecret)
	}
	if c.SecretKey != "" {
		if _, err := channels.ParseKey(c.SecretKey); err != nil {
			return fmt.Errorf("JOURNEYS_SECRET_KEY: %w", err)
		}
	}
	if c.TemporalUIURL != "" {
		if u, err := url.Parse(c.TemporalUIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("JOURNEYS_TEMPORAL_UI_URL: want the Temporal UI's address, such as https://temporal.example.com")
		}
	}
	switch command {
	case "dev", "temporal":
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
		if c.APIKey == "" && c.AdminKey == "" && c.Role != "worker" {
			return errors.New("JOURNEYS_API_KEY: required unless JOURNEYS_ADMIN_KEY is set; set the default workspace's key the panel sends, or the admin key that creates workspaces and their keys")
		}
		if c.OfferSecret == "" && c.Role != "api" {
			return errors.New("JOURNEYS_OFFER_SECRET: required; set a long random string (openssl rand -hex 32): without it anyone can work out the discount codes")
		}
	}
	return nil
}

// splitHostPort splits addr into its host and a port from 1 to 65535.
func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port", addr)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q has no valid port", addr)
	}
	return host, port, nil
}

// freePorts returns n distinct free ports on host, none of them in taken.
// Their listeners stay open until all are chosen, so the kernel cannot
// hand out one port twice; taken holds ports chosen earlier but perhaps
// not bound yet.
func freePorts(host string, n int, taken ...int) ([]int, error) {
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		if p := l.Addr().(*net.TCPAddr).Port; !slices.Contains(taken, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}
