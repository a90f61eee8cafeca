package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		"JOURNEYS_API_KEY":   "s3cret",
		"JOURNEYS_HTTP_ADDR": "127.0.0.1:9000",
		"TEMPORAL_ADDRESS":   "temporal:7233",
	}
	getenv := func(k string) string { return env[k] }

	c, err := loadConfig("serve", []string{"--http-addr", "0.0.0.0:8081"}, getenv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "0.0.0.0:8081" || c.APIKey != "s3cret" || c.TemporalAddress != "temporal:7233" || c.Role != "all" {
		t.Errorf("config = %+v; want the flag over the environment over the default", c)
	}

	var help bytes.Buffer
	if _, err := loadConfig("serve", []string{"-h"}, getenv, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if strings.Contains(help.String(), "s3cret") {
		t.Errorf("-h printed the API key from the environment:\n%s", help.String())
	}
}

func TestLoadConfigNamesTheVariable(t *testing.T) {
	tests := []struct {
		command string
		env     map[string]string
		want    string
	}{
		{"serve", map[string]string{}, "JOURNEYS_API_KEY"},
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k", "DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k", "TEMPORAL_ADDRESS": "nowhere"}, "TEMPORAL_ADDRESS"},
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k", "JOURNEYS_ROLE": "boss"}, "JOURNEYS_ROLE"},
		{"dev", map[string]string{"JOURNEYS_HTTP_ADDR": "8080"}, "JOURNEYS_HTTP_ADDR"},
		{"dev", map[string]string{"JOURNEYS_TEMPORAL_UI_ADDR": "localhost"}, "JOURNEYS_TEMPORAL_UI_ADDR"},
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k", "JOURNEYS_TEMPORAL_UI_URL": "temporal:8233"}, "JOURNEYS_TEMPORAL_UI_URL"},
	}
	for _, tt := range tests {
		_, err := loadConfig(tt.command, nil, func(k string) string { return tt.env[k] }, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s %v: err = %v, want one line starting %s:", tt.command, tt.env, err, tt.want)
		}
	}
}
