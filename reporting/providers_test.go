package reporting_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

func TestChannelProviders(t *testing.T) {
	s, _ := dbtest.New(t)
	s.DB().MustExec(`INSERT INTO workspaces (id, name) VALUES ('shop', 'Shop'), ('rival', 'Rival')`)
	shop := reporting.WithWorkspace(context.Background(), "shop")
	rival := reporting.WithWorkspace(context.Background(), "rival")

	if _, err := s.ChannelProvider(shop, "sms"); !errors.Is(err, reporting.ErrNotFound) {
		t.Fatalf("before any PUT: %v, want ErrNotFound", err)
	}
	first, err := s.PutChannelProvider(shop, reporting.ChannelProvider{Channel: "sms", Provider: "kavenegar", Settings: json.RawMessage(`{"sender":"1000"}`), Sealed: []byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.PutChannelProvider(shop, reporting.ChannelProvider{Channel: "sms", Provider: "twilio", Settings: json.RawMessage(`{"from":"+15005550006"}`), Sealed: []byte{4}})
	if err != nil {
		t.Fatal(err)
	}
	if !second.UpdatedAt.After(first.UpdatedAt) {
		t.Errorf("updated_at %v then %v; want a later one after each PUT", first.UpdatedAt, second.UpdatedAt)
	}
	if _, err := s.PutChannelProvider(rival, reporting.ChannelProvider{Channel: "email", Provider: "smtp", Settings: json.RawMessage(`{}`), Sealed: []byte{5}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ChannelProvider(shop, "sms")
	if err != nil || got.Provider != "twilio" || string(got.Sealed) != "\x04" || string(got.Settings) != `{"from": "+15005550006"}` || !got.UpdatedAt.Equal(second.UpdatedAt) {
		t.Errorf("ChannelProvider = %+v, %v; want the second PUT", got, err)
	}
	for ctx, want := range map[context.Context][]string{shop: {"sms"}, rival: {"email"}} {
		list, err := s.ChannelProviders(ctx)
		var chans []string
		for _, p := range list {
			chans = append(chans, p.Channel)
		}
		if err != nil || len(chans) != len(want) || chans[0] != want[0] {
			t.Errorf("ChannelProviders = %v, %v; want %v", chans, err, want)
		}
	}
	if _, err := s.ChannelProvider(rival, "sms"); !errors.Is(err, reporting.ErrNotFound) {
		t.Errorf("rival sees shop's sms provider: %v", err)
	}
	if err := s.DeleteChannelProvider(rival, "sms"); !errors.Is(err, reporting.ErrNotFound) {
		t.Errorf("rival deleted shop's sms provider: %v", err)
	}
	if err := s.DeleteChannelProvider(shop, "sms"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChannelProvider(shop, "sms"); !errors.Is(err, reporting.ErrNotFound) {
		t.Errorf("after DELETE: %v, want ErrNotFound", err)
	}
	if any, err := s.AnyChannelProviderAllWorkspaces(context.Background()); err != nil || !any {
		t.Errorf("AnyChannelProviderAllWorkspaces = %v, %v; want rival's", any, err)
	}
	if _, err := s.PutChannelProvider(shop, reporting.ChannelProvider{Channel: "fax", Provider: "x", Settings: json.RawMessage(`{}`), Sealed: []byte{1}}); !errors.Is(err, reporting.ErrInvalid) {
		t.Errorf("a fax provider: %v, want ErrInvalid", err)
	}
	nowhere := reporting.WithWorkspace(context.Background(), "nowhere")
	if _, err := s.PutChannelProvider(nowhere, reporting.ChannelProvider{Channel: "sms", Provider: "x", Settings: json.RawMessage(`{}`), Sealed: []byte{1}}); !errors.Is(err, reporting.ErrInvalid) {
		t.Errorf("a provider of a workspace that does not exist: %v, want ErrInvalid", err)
	}
	for name, call := range map[string]func(context.Context) error{
		"put": func(ctx context.Context) error {
			_, err := s.PutChannelProvider(ctx, reporting.ChannelProvider{Channel: "sms"})
			return err
		},
		"get":    func(ctx context.Context) error { _, err := s.ChannelProvider(ctx, "sms"); return err },
		"list":   func(ctx context.Context) error { _, err := s.ChannelProviders(ctx); return err },
		"delete": func(ctx context.Context) error { return s.DeleteChannelProvider(ctx, "email") },
	} {
		if err := call(context.Background()); !errors.Is(err, reporting.ErrNoWorkspace) {
			t.Errorf("%s without a workspace: %v, want ErrNoWorkspace", name, err)
		}
	}
}
