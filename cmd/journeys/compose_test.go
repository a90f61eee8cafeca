package main

import (
	"maps"
	"net/url"
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
		"POSTGRES_PASSWORD": given["POSTGRES_PASSWORD"], "POSTGRES_PWD": given["POSTGRES_PASSWORD"]}
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
