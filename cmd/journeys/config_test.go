package main

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"journeys/channels"
)

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		"JOURNEYS_API_KEY":           "s3cret",
		"JOURNEYS_OFFER_SECRET":      "a-long-random-offer-secret",
		"JOURNEYS_HTTP_ADDR":         "127.0.0.1:9000",
		"JOURNEYS_HTTP_READ_TIMEOUT": "5s",
		"TEMPORAL_ADDRESS":           "temporal:7233",
	}
	getenv := func(k string) string { return env[k] }

	c, err := loadConfig("serve", []string{"--http-addr", "0.0.0.0:8081"}, getenv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "0.0.0.0:8081" || c.APIKey != "s3cret" || c.TemporalAddress != "temporal:7233" || c.Role != "all" {
		t.Errorf("config = %+v; want the flag over the environment over the default", c)
	}
	if want := (httpTimeouts{Read: 5 * time.Second, Write: time.Minute, Idle: 2 * time.Minute, Bulk: 30 * time.Minute}); c.HTTP != want {
		t.Errorf("timeouts = %+v, want %+v: the environment's read timeout, the other defaults", c.HTTP, want)
	}

	var help bytes.Buffer
	if _, err := loadConfig("serve", []string{"-h"}, getenv, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if strings.Contains(help.String(), "s3cret") {
		t.Errorf("-h printed the API key from the environment:\n%s", help.String())
	}
}

// TestTemporalCompression checks that the service's Temporal clients
// compress nothing unless JOURNEYS_TEMPORAL_COMPRESSION asks for gzip.
func TestTemporalCompression(t *testing.T) {
	for value, want := range map[string]client.GrpcCompression{
		"":     &client.GrpcCompressionNone{},
		"none": &client.GrpcCompressionNone{},
		"gzip": &client.GrpcCompressionGzip{},
	} {
		env := map[string]string{"JOURNEYS_TEMPORAL_COMPRESSION": value}
		c, err := loadConfig("dev", nil, func(k string) string { return env[k] }, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		got := temporalOptions(c.Temporal, slog.New(slog.DiscardHandler)).ConnectionOptions.GrpcCompression
		if reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("JOURNEYS_TEMPORAL_COMPRESSION=%q: the client compresses with %T, want %T", value, got, want)
		}
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
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k"}, "JOURNEYS_OFFER_SECRET"},
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k", "JOURNEYS_ROLE": "worker"}, "JOURNEYS_OFFER_SECRET"},
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k", "JOURNEYS_OFFER_SECRET": "short"}, "JOURNEYS_OFFER_SECRET"},
		{"dev", map[string]string{"JOURNEYS_OFFER_SECRET": "short"}, "JOURNEYS_OFFER_SECRET"},
		{"serve", map[string]string{"JOURNEYS_API_KEY": "k", "JOURNEYS_OFFER_SECRET": "0123456789abcdef", "JOURNEYS_HTTP_READ_TIMEOUT": "soon"}, "JOURNEYS_HTTP_READ_TIMEOUT"},
		{"dev", map[string]string{"JOURNEYS_BULK_TIMEOUT": "0s"}, "JOURNEYS_BULK_TIMEOUT"},
		{"dev", map[string]string{"JOURNEYS_TEMPORAL_COMPRESSION": "zstd"}, "JOURNEYS_TEMPORAL_COMPRESSION"},
	}
	for _, tt := range tests {
		_, err := loadConfig(tt.command, nil, func(k string) string { return tt.env[k] }, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s %v: err = %v, want one line starting %s:", tt.command, tt.env, err, tt.want)
		}
	}
}

// TestServeNeedsAnOfferSecret runs the serve command as a user would,
// without JOURNEYS_OFFER_SECRET: it stops at once, naming the variable.
func TestServeNeedsAnOfferSecret(t *testing.T) {
	var stderr bytes.Buffer
	env := map[string]string{"JOURNEYS_API_KEY": "k"}
	err := run(t.Context(), []string{"serve"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.HasPrefix(err.Error(), "JOURNEYS_OFFER_SECRET: required") || strings.Contains(err.Error(), "\n") {
		t.Errorf("serve without an offer secret: %v, want one line naming JOURNEYS_OFFER_SECRET", err)
	}
}

// TestDevOfferSecret checks the secret dev derives codes with when none is
// set: generated once per data folder, kept private, the same after a
// restart and different for another folder.
func TestDevOfferSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, path, err := devOfferSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := devOfferSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := devOfferSecret(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 32 || again != first || other == first {
		t.Errorf("secrets %q, %q (same folder), %q (another): want a long one, kept, and another for another folder", first, again, other)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v; want it readable by its owner only", path, info.Mode().Perm())
	}

	key, _, err := devSecretKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := channels.ParseKey(key); err != nil || len(b) != channels.KeySize || key == first {
		t.Errorf("sealing key %q: %v; want 32 bytes of its own", key, err)
	}
	if again, _, _ := devSecretKey(dir); again != key {
		t.Errorf("sealing key %q, then %q: want it kept", key, again)
	}
}
