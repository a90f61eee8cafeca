package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Defaults for the Temporal connection when neither the environment nor
// a temporal.toml profile gives one.
const (
	defaultTemporalAddress = "127.0.0.1:7233"
	defaultNamespace       = "default"
)

// temporalConnection reads how to reach Temporal the way the temporal CLI
// does, through the SDK's environment configuration: a temporal.toml
// profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) under TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and TEMPORAL_TLS_*, so a team's
// existing settings work unchanged. address and namespace, when set, come
// from flags and win. Every TLS file is read and parsed here, so that a
// bad one stops start-up naming its variable instead of failing each dial.
func temporalConnection(getenv func(string) string, address, namespace string) (client.Options, error) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{EnvLookup: envLookup(getenv)})
	if err != nil {
		return client.Options{}, fmt.Errorf("%s: %w", profileSource(getenv), err)
	}
	if address != "" {
		prof.Address = address
	}
	if namespace != "" {
		prof.Namespace = namespace
	}
	if prof.Address == "" {
		prof.Address = defaultTemporalAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = defaultNamespace
	}
	if prof.TLS != nil && !prof.TLS.Disabled {
		if err := checkTLSFiles(prof.TLS, getenv); err != nil {
			return client.Options{}, err
		}
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("TEMPORAL_TLS: %w", err)
	}
	return opts, nil
}

// envLookup lets envconfig read the variables through getenv, so tests
// and the flags see one environment. An empty variable counts as unset.
// TEMPORAL_GRPC_META_* headers are not read: they need the whole
// environment, which getenv cannot list.
type envLookup func(string) string

func (e envLookup) LookupEnv(key string) (string, bool) { v := e(key); return v, v != "" }
func (e envLookup) Environ() []string                   { return nil }

// profileSource names where the profile came from, for errors.
func profileSource(getenv func(string) string) string {
	file := getenv("TEMPORAL_CONFIG_FILE")
	if file == "" {
		file = envconfig.DefaultConfigFilePath()
	}
	if p := getenv("TEMPORAL_PROFILE"); p != "" {
		return fmt.Sprintf("TEMPORAL_PROFILE %s in %s", p, file)
	}
	return "TEMPORAL_CONFIG_FILE " + file
}

// tlsInput is one PEM input of the TLS settings: a file or inline data.
type tlsInput struct {
	pathVar, dataVar, path string
	data                   []byte
}

// read returns the PEM text and the name of the setting it came from.
func (in tlsInput) read(getenv func(string) string) ([]byte, string, error) {
	if len(in.data) > 0 {
		return in.data, in.name(getenv, in.dataVar), nil
	}
	name := in.name(getenv, in.pathVar)
	b, err := os.ReadFile(in.path)
	if err != nil {
		return nil, name, fmt.Errorf("%s: cannot read %s: %w", name, in.path, err)
	}
	return b, name, nil
}

// name is the variable a value came from, or the profile setting when the
// environment did not set it.
func (in tlsInput) name(getenv func(string) string, env string) string {
	if getenv(env) != "" {
		return env
	}
	return env + " (from " + profileSource(getenv) + ")"
}

// checkTLSFiles reads and parses the client certificate, its key and the
// server CA, and returns an error naming the setting of the first that is
// unreadable or not what it should be.
func checkTLSFiles(t *envconfig.ClientConfigTLS, getenv func(string) string) error {
	cert := tlsInput{"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_CERT_DATA", t.ClientCertPath, t.ClientCertData}
	key := tlsInput{"TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_CLIENT_KEY_DATA", t.ClientKeyPath, t.ClientKeyData}
	ca := tlsInput{"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_DATA", t.ServerCACertPath, t.ServerCACertData}
	hasCert, hasKey := cert.path != "" || len(cert.data) > 0, key.path != "" || len(key.data) > 0
	switch {
	case hasCert && !hasKey:
		return fmt.Errorf("TEMPORAL_TLS_CLIENT_KEY_PATH: required with %s", cert.name(getenv, cert.pathVar))
	case hasKey && !hasCert:
		return fmt.Errorf("TEMPORAL_TLS_CLIENT_CERT_PATH: required with %s", key.name(getenv, key.pathVar))
	case hasCert:
		certPEM, certName, err := cert.read(getenv)
		if err != nil {
			return err
		}
		keyPEM, keyName, err := key.read(getenv)
		if err != nil {
			return err
		}
		if _, err := parseCertificates(certPEM); err != nil {
			return fmt.Errorf("%s: %w", certName, err)
		}
		if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
			return fmt.Errorf("%s: not the private key of the client certificate: %w", keyName, err)
		}
	}
	if ca.path != "" || len(ca.data) > 0 {
		caPEM, caName, err := ca.read(getenv)
		if err != nil {
			return err
		}
		if _, err := parseCertificates(caPEM); err != nil {
			return fmt.Errorf("%s: %w", caName, err)
		}
	}
	return nil
}

// parseCertificates returns the PEM certificates in b, failing when
// there is none or one does not parse.
func parseCertificates(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a valid certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM certificate in it")
	}
	return certs, nil
}
