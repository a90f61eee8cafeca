package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/rpc/encryption"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"

	"journeys/workflows/journey"
)

// testPKI is a certificate authority with a server and a client
// certificate it signed, written as PEM files.
type testPKI struct {
	dir                                string
	caFile, serverCert, serverKey      string
	clientCert, clientKey, strangerKey string
	pool                               *x509.CertPool
	serverPair, clientPair             tls.Certificate
}

// newTestPKI makes a CA, a certificate for a server at 127.0.0.1 and a
// client certificate, all signed by the CA, and a key that belongs to
// none of them.
func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir(), pool: x509.NewCertPool()}
	caKey := newKey(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "journeys test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p.pool.AddCert(ca)
	p.caFile = p.write(t, "ca.pem", "CERTIFICATE", caDER)

	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (certFile, keyFile string, pair tls.Certificate) {
		key := newKey(t)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		certFile, keyFile = p.write(t, name+".pem", "CERTIFICATE", der), p.write(t, name+"-key.pem", "EC PRIVATE KEY", keyDER)
		pair, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		return certFile, keyFile, pair
	}
	p.serverCert, p.serverKey, p.serverPair = issue("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey, p.clientPair = issue("client", 3, x509.ExtKeyUsageClientAuth)
	strangerDER, _ := x509.MarshalECPrivateKey(newKey(t))
	p.strangerKey = p.write(t, "stranger-key.pem", "EC PRIVATE KEY", strangerDER)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (p *testPKI) write(t *testing.T, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mutualTLS is the Temporal server's TLS: its frontend requires a client
// certificate signed by the CA; its own services reach the frontend with
// the client certificate; internode traffic stays in the process.
type mutualTLS struct{ p *testPKI }

func (m mutualTLS) GetFrontendServerConfig() (*tls.Config, error) {
	return &tls.Config{Certificates: []tls.Certificate{m.p.serverPair}, ClientCAs: m.p.pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}, nil
}

func (m mutualTLS) GetFrontendClientConfig() (*tls.Config, error) {
	return &tls.Config{Certificates: []tls.Certificate{m.p.clientPair}, RootCAs: m.p.pool, ServerName: "127.0.0.1"}, nil
}
func (mutualTLS) GetInternodeServerConfig() (*tls.Config, error)           { return nil, nil }
func (mutualTLS) GetInternodeClientConfig() (*tls.Config, error)           { return nil, nil }
func (mutualTLS) GetRemoteClusterClientConfig(string) (*tls.Config, error) { return nil, nil }
func (mutualTLS) GetExpiringCerts(time.Duration) (encryption.CertExpirationMap, encryption.CertExpirationMap, error) {
	return nil, nil, nil
}

// TestMigrateThroughMutualTLS runs `journeys migrate` against a Temporal
// server that refuses clients without a certificate from its CA: with the
// TEMPORAL_TLS_* variables the temporal CLI reads, it registers the
// search attributes; without the client certificate the server refuses
// the connection.
func TestMigrateThroughMutualTLS(t *testing.T) {
	p := newTestPKI(t)
	ts := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseServerOptions(temporal.WithTLSConfigFactory(mutualTLS{p})))
	env := map[string]string{
		"DATABASE_URL":                     newDatabaseURL(t),
		"TEMPORAL_ADDRESS":                 ts.GetFrontendHostPort(),
		"TEMPORAL_NAMESPACE":               ts.GetDefaultNamespace(),
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    p.clientCert,
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     p.clientKey,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caFile,
		"TEMPORAL_CONFIG_FILE":             filepath.Join(t.TempDir(), "none.toml"),
	}
	if err := run(t.Context(), []string{"migrate"}, mapEnv(env), io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate through mutual TLS: %v", err)
	}

	opts, err := temporalConnection(mapEnv(env), "", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.DialContext(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	have, err := c.OperatorService().ListSearchAttributes(t.Context(),
		&operatorservice.ListSearchAttributesRequest{Namespace: ts.GetDefaultNamespace()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := have.GetCustomAttributes()["JourneyStatus"]; !ok {
		t.Errorf("search attributes after migrate: %v, want JourneyStatus among them", have.GetCustomAttributes())
	}

	noCert := opts
	noCert.ConnectionOptions.TLS = &tls.Config{RootCAs: p.pool}
	if c, err := client.DialContext(t.Context(), noCert); err == nil {
		c.Close()
		t.Error("dial without a client certificate succeeded, want the server to refuse it")
	}
}

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestTemporalConnectionNamesTheVariable checks that a TLS file that is
// missing, unreadable or not what it should be stops start-up with one
// line naming the variable to fix, and that profiles, the environment and
// an API key combine as the temporal CLI combines them.
func TestTemporalConnectionNamesTheVariable(t *testing.T) {
	p := newTestPKI(t)
	garbage := filepath.Join(p.dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	noFile := filepath.Join(p.dir, "missing.pem")
	toml := filepath.Join(p.dir, "temporal.toml")
	os.WriteFile(toml, []byte(`
[profile.default]
address = "default.example:7233"

[profile.cloud]
address = "prod.a1b2c.tmprl.cloud:7233"
namespace = "prod.a1b2c"
api_key = "from-the-profile"

[profile.broken]
address = "x:7233"
[profile.broken.tls]
client_cert_path = "`+noFile+`"
client_key_path = "`+p.clientKey+`"
`), 0o600)

	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing cert file", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": noFile, "TEMPORAL_TLS_CLIENT_KEY_PATH": p.clientKey},
			"TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read " + noFile},
		{"cert without key", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": p.clientCert},
			"TEMPORAL_TLS_CLIENT_KEY_PATH: required with TEMPORAL_TLS_CLIENT_CERT_PATH"},
		{"cert not PEM", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": garbage, "TEMPORAL_TLS_CLIENT_KEY_PATH": p.clientKey},
			"TEMPORAL_TLS_CLIENT_CERT_PATH: no PEM certificate"},
		{"key of another cert", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": p.clientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH": p.strangerKey},
			"TEMPORAL_TLS_CLIENT_KEY_PATH: not the private key of the client certificate"},
		{"unreadable key", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": p.clientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH": p.dir},
			"TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read"},
		{"missing CA", map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": noFile},
			"TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read"},
		{"CA not PEM", map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_DATA": "junk"},
			"TEMPORAL_TLS_SERVER_CA_CERT_DATA: no PEM certificate"},
		{"unknown profile", map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_PROFILE": "staging"},
			"TEMPORAL_PROFILE staging in " + toml + ": unable to find profile staging"},
		{"profile's file missing", map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_PROFILE": "broken"},
			"TEMPORAL_TLS_CLIENT_CERT_PATH (from TEMPORAL_PROFILE broken in " + toml + "): cannot read " + noFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"JOURNEYS_API_KEY": "k", "JOURNEYS_OFFER_SECRET": "0123456789abcdef0123",
				"TEMPORAL_CONFIG_FILE": filepath.Join(p.dir, "none.toml")}
			for k, v := range tt.env {
				env[k] = v
			}
			err := run(t.Context(), []string{"serve"}, mapEnv(env), io.Discard, io.Discard)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("serve: %v\nwant one line starting %q", err, tt.want)
			}
		})
	}

	t.Run("profiles and environment", func(t *testing.T) {
		opts, err := temporalConnection(mapEnv(map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_PROFILE": "cloud"}), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if opts.HostPort != "prod.a1b2c.tmprl.cloud:7233" || opts.Namespace != "prod.a1b2c" || opts.Credentials == nil || opts.ConnectionOptions.TLS == nil {
			t.Errorf("cloud profile: %s %s credentials %v TLS %v; want the profile's address and namespace, an API key and TLS",
				opts.HostPort, opts.Namespace, opts.Credentials, opts.ConnectionOptions.TLS)
		}
		opts, err = temporalConnection(mapEnv(map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_ADDRESS": "env:7233"}), "", "")
		if err != nil || opts.HostPort != "env:7233" || opts.Namespace != defaultNamespace || opts.ConnectionOptions.TLS != nil {
			t.Errorf("default profile under TEMPORAL_ADDRESS: %s %s TLS %v, %v; want the variable's address, the default namespace, no TLS",
				opts.HostPort, opts.Namespace, opts.ConnectionOptions.TLS, err)
		}
		opts, err = temporalConnection(mapEnv(map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_ADDRESS": "env:7233"}), "flag:7233", "flagged")
		if err != nil || opts.HostPort != "flag:7233" || opts.Namespace != "flagged" {
			t.Errorf("flags: %s %s, %v; want the flags to win", opts.HostPort, opts.Namespace, err)
		}
	})
}

// productionCache makes a test Temporal server keep search attributes as
// a production server does: in a cache it refreshes every
// few seconds, here every second. temporaltest, made for tests that add
// search attributes and use them at once, rereads them from its store on
// every use: a read of its SQLite per start, signal-with-start and upsert,
// queued behind the one connection the store's writes take turns on, which
// makes the benchmarks measure the test server more than the service.
func productionCache() temporal.ServerOption {
	return temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): time.Second,
	})
}

// TestRegisterSearchAttributesWaits registers the search attributes on a
// server that caches them, as a production one does, and starts a run with
// them at once: registering waits until the server knows them.
func TestRegisterSearchAttributesWaits(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseServerOptions(productionCache()))
	c := ts.GetDefaultClient()
	if err := registerSearchAttributes(t.Context(), c, ts.GetDefaultNamespace()); err != nil {
		t.Fatal(err)
	}
	in := journey.Input{Workspace: "w1", JourneyID: "j1", JourneyType: "cart_abandonment", UserID: "u1"}
	_, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: "j1/u1", TaskQueue: "nobody",
		TypedSearchAttributes: journey.StartAttributes(in)}, "Journey")
	if err != nil {
		t.Fatalf("start a run with the search attributes right after registering them: %v", err)
	}
}
