package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tconfig "go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	serverlog "go.temporal.io/server/common/log"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"
	"go.temporal.io/server/tools/common/schema"
	tsql "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"

	"journeys/reporting/dbtest"
	"journeys/workflows/journey"
)

// benchStoreVar names the store of the benchmarks' Temporal server:
// "sqlite" (temporaltest's, the default) or "postgres" (postgresTemporal).
const benchStoreVar = "JOURNEYS_BENCH_TEMPORAL_STORE"

// benchMetricsVar is where the Postgres-backed server serves its own
// metrics for Prometheus, such as 127.0.0.1:9090 (at /metrics): the
// history shards' write queue (semaphore_latency, operation ShardInfo),
// persistence_latency by operation, matching's backlog writes
// (CreateTasks). Unset, it serves none.
const benchMetricsVar = "JOURNEYS_BENCH_TEMPORAL_METRICS"

// benchTemporal starts the benchmarks' Temporal server on the store
// JOURNEYS_BENCH_TEMPORAL_STORE names, logging to logger, with the
// search attributes cached as a production server does.
func benchTemporal(logger serverlog.Logger) (temporalServer, error) {
	switch store := os.Getenv(benchStoreVar); store {
	case "", "sqlite":
		return temporaltest.NewServer(temporaltest.WithBaseServerOptions(temporal.WithLogger(logger), productionCache())), nil
	case "postgres":
		return startPostgresTemporal(logger)
	default:
		return nil, fmt.Errorf("%s=%q: want sqlite or postgres", benchStoreVar, store)
	}
}

// postgresTemporal is a Temporal server on PostgreSQL, in databases of its
// own that it drops when it stops, with four history shards: the way a
// production cluster keeps its state, for the benchmarks. The test server
// (temporaltest) keeps its state in one in-memory SQLite with one shard,
// whose reads and writes, visibility's included, take turns on one
// connection; there an extra write costs every run that waits behind it.
type postgresTemporal struct {
	server    temporal.Server
	hostPort  string
	databases []*tconfig.SQL
	clients   []client.Client
	logger    serverlog.Logger
}

const postgresNamespace = "default"

// startPostgresTemporal creates the server's databases on the Postgres the
// tests use (JOURNEYS_TEST_DATABASE_URL, or the local one) and starts it.
func startPostgresTemporal(logger serverlog.Logger) (_ *postgresTemporal, err error) {
	base := dbtest.BaseURL()
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("JOURNEYS_TEST_DATABASE_URL: %w", err)
	}
	password, _ := u.User.Password()
	b := make([]byte, 4)
	rand.Read(b)
	name := "journeys_temporal_" + hex.EncodeToString(b)
	p := &postgresTemporal{logger: logger}
	defer func() {
		if err != nil {
			p.Stop()
		}
	}()
	for _, s := range []struct{ db, schema, version string }{
		{name, "postgresql/v12/temporal", pgschema.Version},
		{name + "_visibility", "postgresql/v12/visibility", pgschema.VisibilityVersion},
	} {
		cfg := &tconfig.SQL{PluginName: "postgres12", DatabaseName: s.db, ConnectAddr: u.Host, ConnectProtocol: "tcp",
			User: u.User.Username(), Password: password, MaxConns: 20, MaxIdleConns: 20}
		admin := *cfg
		if err := tsql.DoCreateDatabase(&admin, "postgres", logger); err != nil {
			return nil, fmt.Errorf("create %s (tests need Postgres at %s): %w", s.db, base, err)
		}
		p.databases = append(p.databases, cfg)
		conn, err := tsql.NewConnection(cfg, logger)
		if err != nil {
			return nil, err
		}
		err = schema.NewSetupSchemaTask(conn, &schema.SetupConfig{SchemaName: s.schema, InitialVersion: s.version}, logger).Run()
		conn.Close()
		if err != nil {
			return nil, fmt.Errorf("set up %s: %w", s.db, err)
		}
	}

	ports, err := freePorts("127.0.0.1", 1)
	if err != nil {
		return nil, err
	}
	p.hostPort = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	store := tconfig.Persistence{
		DefaultStore:     "default",
		VisibilityStore:  "visibility",
		NumHistoryShards: 4,
		DataStores: map[string]tconfig.DataStore{
			"default":    {SQL: p.databases[0]},
			"visibility": {SQL: p.databases[1]},
		},
	}
	p.server, err = newEmbeddedTemporal(p.hostPort, nil, store, os.Getenv(benchMetricsVar), logger, dynamicconfig.StaticClient{
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): time.Second,
	})
	if err != nil {
		return nil, err
	}
	if err := p.server.Start(); err != nil {
		p.server = nil
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	return p, p.registerNamespace()
}

// registerNamespace registers the namespace the benchmarks run in and
// waits until the frontend knows it.
func (p *postgresTemporal) registerNamespace() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := p.NewClientWithOptions(client.Options{})
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: postgresNamespace, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)})
	if err != nil {
		return fmt.Errorf("register namespace: %w", err)
	}
	for {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: postgresNamespace})
		var unknown *serviceerror.NamespaceNotFound
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &unknown):
			return fmt.Errorf("use namespace: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the frontend does not know namespace %s: %w", postgresNamespace, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *postgresTemporal) GetFrontendHostPort() string { return p.hostPort }
func (p *postgresTemporal) GetDefaultNamespace() string { return postgresNamespace }

// NewClientWithOptions dials the server in the namespace, unless opts names
// another; Stop closes the client.
func (p *postgresTemporal) NewClientWithOptions(opts client.Options) client.Client {
	opts.HostPort = p.hostPort
	if opts.Namespace == "" {
		opts.Namespace = postgresNamespace
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		panic(fmt.Sprintf("temporal client: %v", err))
	}
	p.clients = append(p.clients, c)
	return c
}

// Stop closes the clients, stops the server and drops its databases.
func (p *postgresTemporal) Stop() {
	for _, c := range p.clients {
		c.Close()
	}
	if p.server != nil {
		_ = p.server.Stop()
	}
	for _, cfg := range p.databases {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, cfg.Password), Host: cfg.ConnectAddr,
			Path: "/postgres", RawQuery: "sslmode=disable"}
		db, err := sqlx.Open("postgres", u.String())
		if err == nil {
			_, err = db.Exec(`DROP DATABASE IF EXISTS ` + cfg.DatabaseName + ` WITH (FORCE)`)
			db.Close()
		}
		if err != nil {
			p.logger.Error("drop " + cfg.DatabaseName + ": " + err.Error())
		}
	}
}

// TestServiceOnPostgresTemporal runs the service on a Temporal server that
// keeps its state and its visibility in PostgreSQL, as production clusters
// do: the journey search attributes register in SQL visibility, a purchase
// wakes a run still waiting for its first touch and converts it, and
// support finds the run by user id.
func TestServiceOnPostgresTemporal(t *testing.T) {
	ts, err := startPostgresTemporal(serverlog.NewNoopLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Stop)
	s := newStack(t, ts)
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "cart", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase"}, 201, nil)
	s.mustCall("PUT", "/v1/users/u1", map[string]any{"push_token": "tok-u1"}, 200, nil)
	s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u1"}, 202, nil)
	s.mustCall("POST", "/v1/events", map[string]any{"event_id": "p1", "user_id": "u1", "name": "purchase"}, 202, nil)
	e := s.waitFor("cart", "u1", func(e enrollment) bool { return e.Status != "active" })
	if got := strings.Join(e.story(), " "); e.Status != "converted" || got != "enrolled converted" {
		t.Fatalf("enrollment %s with story %q, want converted with \"enrolled converted\"", e.Status, got)
	}

	query := fmt.Sprintf("%s = 'u1' AND %s = 'converted'", journey.UserIDKey.GetName(), journey.JourneyStatusKey.GetName())
	deadline := time.Now().Add(time.Minute)
	for {
		runs, err := s.temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("list %s: %v", query, err)
		}
		if len(runs.Executions) == 1 && runs.Executions[0].Execution.WorkflowId == e.WorkflowID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("list %s = %d runs, want %s", query, len(runs.Executions), e.WorkflowID)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
