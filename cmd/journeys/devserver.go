//go:build !nodev

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	tconfig "go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/membership/static"
	tmetrics "go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"journeys/workflows/journey"
)

// embeddedTemporal says this binary carries the Temporal server and UI
// for `journeys dev`; the production image is built without them
// (-tags nodev, see devserver_nodev.go).
const embeddedTemporal = true

// devTemporal is a single-process Temporal server persisting to a SQLite
// file, with the Temporal UI, for `journeys dev`.
type devTemporal struct {
	server temporal.Server
	ui     *uiserver.Server
}

// devClusterID is fixed so that the SQLite file always belongs to the same
// cluster across restarts.
const devClusterID = "6f1c5e0e-5d4b-4c8e-9c55-6a6f75726e79"

// startDevTemporal starts the embedded server with its frontend on
// frontendAddr and the UI on uiAddr, creating the namespace with the
// journey search attributes on first start.
func startDevTemporal(frontendAddr, uiAddr, dataDir, namespace string, logger *slog.Logger) (*devTemporal, error) {
	if _, _, err := splitHostPort(frontendAddr); err != nil {
		return nil, fmt.Errorf("TEMPORAL_ADDRESS: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("JOURNEYS_DATA_DIR: %w", err)
	}
	sqlConf := &tconfig.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: filepath.Join(dataDir, "temporal.db"),
		// Write-ahead logging with syncs at checkpoints: every commit
		// survives the process being killed, and a commit costs no fsync.
		// The keys are SQLite's pragma names, without a leading "_", which
		// the server would pass on as a pragma SQLite does not know.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal", "busy_timeout": "10000"},
	}
	if _, err := os.Stat(sqlConf.DatabaseName); os.IsNotExist(err) {
		if err := sqliteschema.SetupSchema(sqlConf); err != nil {
			return nil, fmt.Errorf("set up temporal schema: %w", err)
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig("active", namespace, false, journey.SearchAttributes())
	if err != nil {
		return nil, fmt.Errorf("namespace config: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, ns); err != nil {
		return nil, fmt.Errorf("create namespace: %w", err)
	}

	// The internal services' ports differ from the UI's, which its caller
	// may have found free without binding it yet.
	var taken []int
	if _, uiPort, err := splitHostPort(uiAddr); err == nil {
		taken = append(taken, uiPort)
	}
	store := tconfig.Persistence{
		DefaultStore:     "sqlite",
		VisibilityStore:  "sqlite",
		NumHistoryShards: 1,
		DataStores:       map[string]tconfig.DataStore{"sqlite": {SQL: sqlConf}},
	}
	// Nothing asks the server to refresh its search attributes on every
	// read, which would cost a read of SQLite per start, signal-with-start
	// and upsert: the namespace has the journey's from its creation.
	server, err := newEmbeddedTemporal(frontendAddr, taken, store, "", serverLogger{log: logger}, dynamicconfig.StaticClient{
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	})
	if err != nil {
		return nil, err
	}
	if err := server.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}

	d := &devTemporal{server: server}
	if uiAddr != "" {
		uiHost, uiPort, err := splitHostPort(uiAddr)
		if err != nil {
			server.Stop()
			return nil, fmt.Errorf("JOURNEYS_TEMPORAL_UI_ADDR: %w", err)
		}
		d.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
			Host:                uiHost,
			Port:                uiPort,
			TemporalGRPCAddress: frontendAddr,
			EnableUI:            true,
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true,
			DefaultNamespace:    namespace,
		}))
		go func() {
			if err := d.ui.Start(); err != nil {
				logger.Error("temporal ui stopped", "error", err)
			}
		}()
	}
	return d, nil
}

// Stop stops the UI and the server.
func (d *devTemporal) Stop() {
	if d.ui != nil {
		d.ui.Stop()
	}
	d.server.Stop()
}

// serverLogger passes the Temporal server's warnings and errors to slog;
// its info lines are too many for a laptop.
type serverLogger struct{ log *slog.Logger }

func (s serverLogger) Debug(string, ...tag.Tag)           {}
func (s serverLogger) Info(string, ...tag.Tag)            {}
func (s serverLogger) Warn(msg string, tags ...tag.Tag)   { s.emit(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.emit(slog.LevelError, msg, tags) }
func (s serverLogger) Panic(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s serverLogger) Fatal(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s serverLogger) emit(l slog.Level, msg string, tags []tag.Tag) {
	attrs := make([]slog.Attr, 0, len(tags)+1)
	attrs = append(attrs, slog.String("component", "temporal"))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	s.log.LogAttrs(context.Background(), l, msg, attrs...)
}

var _ log.Logger = serverLogger{}

// newEmbeddedTemporal builds a Temporal server running all its services in
// this process, on store: the frontend on frontendAddr, the others on
// free ports of the same host, none of them in taken. With metricsAddr, it
// serves its own metrics there for Prometheus, at /metrics.
func newEmbeddedTemporal(frontendAddr string, taken []int, store tconfig.Persistence, metricsAddr string, logger log.Logger, dc dynamicconfig.StaticClient) (temporal.Server, error) {
	host, port, err := splitHostPort(frontendAddr)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_ADDRESS: %w", err)
	}
	conf := &tconfig.Config{}
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence = store
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{"active": {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             frontendAddr,
			ClusterID:              devClusterID,
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontendAddr
	if metricsAddr != "" {
		conf.Global.Metrics = &tmetrics.Config{Prometheus: &tmetrics.PrometheusConfig{
			Framework: "opentelemetry", ListenAddress: metricsAddr, HandlerPath: "/metrics"}}
	}

	hosts := map[primitives.ServiceName]static.Hosts{}
	conf.Services = map[string]tconfig.Service{}
	internal, err := freePorts(host, 3, append([]int{port}, taken...)...)
	if err != nil {
		return nil, err
	}
	for i, svc := range []primitives.ServiceName{primitives.FrontendService, primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		p := port
		if svc != primitives.FrontendService {
			p = internal[i-1]
		}
		conf.Services[string(svc)] = tconfig.Service{RPC: tconfig.RPC{GRPCPort: p, BindOnIP: host}}
		hosts[svc] = static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(p)))
	}

	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	server, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*tconfig.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("build temporal server: %w", err)
	}
	return server, nil
}
