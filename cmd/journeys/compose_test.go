package main

import (
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads docker-compose.yml as docker compose does, with env as
// the whole environment.
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	var vars []string
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{"../../docker-compose.yml"}, cli.WithName("journeys"), cli.WithEnv(vars))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(t.Context())
}

// TestComposeHasNoDefaultSecrets checks docker-compose.yml as compose reads
// it: without each secret it refuses to start, naming the variable; with
// them, every service uses what was given, Postgres has a password, and
// only the API is published beyond this host.
func TestComposeHasNoDefaultSecrets(t *testing.T) {
	given := map[string]string{"JOURNEYS_API_KEY": "key-from-env", "JOURNEYS_OFFER_SECRET": "offer-from-env", "POSTGRES_PASSWORD": "pw-from-env"}
	for name := range given {
		env := maps.Clone(given)
		delete(env, name)
		if _, err := loadCompose(t, env); err == nil || !strings.Contains(err.Error(), "required variable "+name+" is missing a value: set "+name) {
			t.Errorf("compose without %s: %v, want it refused, saying to set it", name, err)
		}
	}

	p, err := loadCompose(t, given)
	if err != nil {
		t.Fatal(err)
	}
	fromEnv := map[string]string{"JOURNEYS_API_KEY": given["JOURNEYS_API_KEY"], "JOURNEYS_OFFER_SECRET": given["JOURNEYS_OFFER_SECRET"],
		"POSTGRES_PASSWORD": given["POSTGRES_PASSWORD"], "POSTGRES_PWD": given["POSTGRES_PASSWORD"], "SQL_PASSWORD": given["POSTGRES_PASSWORD"]}
	for _, s := range p.Services {
		for name, v := range s.Environment {
			value := ""
			if v != nil {
				value = *v
			}
			if want, ok := fromEnv[name]; ok && value != want {
				t.Errorf("%s: %s = %q, want the value given in the environment", s.Name, name, value)
			}
			if name == "POSTGRES_HOST_AUTH_METHOD" && value == "trust" {
				t.Errorf("%s: Postgres trusts every connection", s.Name)
			}
			if name == "DATABASE_URL" {
				u, err := url.Parse(value)
				if pw, _ := u.User.Password(); err != nil || pw != given["POSTGRES_PASSWORD"] {
					t.Errorf("%s: DATABASE_URL %q does not carry the Postgres password", s.Name, value)
				}
			}
		}
		for _, port := range s.Ports {
			if s.Name != "api" && port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes port %d on %q, want 127.0.0.1 or nothing: only the API is reachable from elsewhere", s.Name, port.Target, port.HostIP)
			}
		}
	}
	if pg := p.Services["postgres"]; pg.Environment["POSTGRES_PASSWORD"] == nil || len(pg.Ports) != 0 {
		t.Errorf("postgres: password %v, ports %v; want a password and no port published", pg.Environment["POSTGRES_PASSWORD"], pg.Ports)
	}
	if api := p.Services["api"]; len(api.Ports) != 1 || api.Ports[0].Published != "8080" {
		t.Errorf("api publishes %+v, want :8080", api.Ports)
	}
}

// documented reads the README's Configuration table: the variables its
// first column names, and the prefixes of rows such as JOURNEYS_FCM_*.
func documented(t *testing.T) (names map[string]bool, prefixes []string) {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	names = map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for i, part := range strings.Split(first, "`") {
			switch {
			case i%2 == 0:
			case strings.HasSuffix(part, "*"):
				prefixes = append(prefixes, strings.TrimSuffix(part, "*"))
			default:
				names[part] = true
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("README.md's Configuration table lists %d variables: is it still a table?", len(names))
	}
	return names, prefixes
}

func isDocumented(name string, names map[string]bool, prefixes []string) bool {
	return names[name] || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) })
}

// TestComposeUsesTheDocumentedConfiguration checks that the journeys
// services in docker-compose.yml are configured only with variables the
// README's Configuration table documents, and reach Temporal at a service
// of the file; and that the table documents every variable the binary
// reads, so neither can drift from the other.
func TestComposeUsesTheDocumentedConfiguration(t *testing.T) {
	names, prefixes := documented(t)
	p, err := loadCompose(t, map[string]string{"JOURNEYS_API_KEY": "k", "JOURNEYS_OFFER_SECRET": "o", "POSTGRES_PASSWORD": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	ours := 0
	for _, s := range p.Services {
		if s.Build == nil {
			continue // Postgres and Temporal read their own variables
		}
		ours++
		for name := range s.Environment {
			if !isDocumented(name, names, prefixes) {
				t.Errorf("%s sets %s, which the README's Configuration table does not document", s.Name, name)
			}
		}
		addr := s.Environment["TEMPORAL_ADDRESS"]
		if addr == nil {
			t.Errorf("%s does not set TEMPORAL_ADDRESS", s.Name)
			continue
		}
		host, _, err := net.SplitHostPort(*addr)
		if _, ok := p.Services[host]; err != nil || !ok {
			t.Errorf("%s: TEMPORAL_ADDRESS %q is not a service of the file", s.Name, *addr)
		}
	}
	if ours != 3 {
		t.Errorf("%d services run journeys, want migrate, api and worker", ours)
	}

	read := []string{"TEMPORAL_API_KEY", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "TEMPORAL_TLS_CLIENT_CERT_PATH",
		"TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_SERVER_NAME"}
	for _, s := range settings {
		read = append(read, s.env)
	}
	for _, s := range durationSettings {
		read = append(read, s.env)
	}
	for _, name := range read {
		if !isDocumented(name, names, prefixes) {
			t.Errorf("the binary reads %s, which the README's Configuration table does not document", name)
		}
	}
}
