package activities_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"journeys/activities"
	"journeys/channels"
	"journeys/channels/channelstest"
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

var _ activities.ProviderStore = (*reporting.Store)(nil)

// putHook stores a webhook provider for the workspace in ctx, as PUT
// /v1/channels/webhook does.
func putHook(t *testing.T, ctx context.Context, store *reporting.Store, sealer *channels.Sealer, url, secret string) {
	t.Helper()
	ws, _ := reporting.WorkspaceOf(ctx)
	public, sealed, err := sealer.SealSetup(ws, channels.Webhook, channels.Setup{Provider: "webhook", Settings: channels.Settings{URL: url, Secret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutChannelProvider(ctx, reporting.ChannelProvider{Channel: "webhook", Provider: "webhook", Settings: public, Sealed: sealed}); err != nil {
		t.Fatal(err)
	}
}

func TestProvidersPerWorkspace(t *testing.T) {
	store, _ := dbtest.New(t)
	store.DB().MustExec(`INSERT INTO workspaces (id, name) VALUES ('shop', 'Shop'), ('rival', 'Rival')`)
	sealer, err := channels.NewSealer(bytes.Repeat([]byte{1}, channels.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	envHook, shopHook, shopNewHook := channelstest.NewWebhook(t, "env"), channelstest.NewWebhook(t, "shop"), channelstest.NewWebhook(t, "shop-2")
	env, err := channels.NewHook(channels.HookConfig{URL: envHook.URL, Secret: "env"})
	if err != nil {
		t.Fatal(err)
	}
	p := activities.NewProviders(store, sealer, map[channels.Channel]activities.Sender{channels.Webhook: env})
	send := p.Senders()[channels.Webhook]
	shop := reporting.WithWorkspace(context.Background(), "shop")
	rival := reporting.WithWorkspace(context.Background(), "rival")
	sendAs := func(ctx context.Context, to string) {
		t.Helper()
		if _, err := send.Send(ctx, channels.Message{Channel: channels.Webhook, IdempotencyKey: to, UserID: to, To: to, Body: "hi"}); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
	received := func(h *channelstest.Webhook) string {
		var to []string
		for _, m := range h.Received() {
			to = append(to, m.To)
		}
		return strings.Join(to, " ")
	}

	sendAs(shop, "before-put")
	putHook(t, shop, store, sealer, shopHook.URL, "shop")
	sendAs(shop, "shop-1")
	sendAs(rival, "rival-1")
	first, err := p.Sender(shop, channels.Webhook)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.Sender(shop, channels.Webhook)
	if first != again {
		t.Error("an unchanged provider was built again; want it cached")
	}
	putHook(t, shop, store, sealer, shopNewHook.URL, "shop-2")
	sendAs(shop, "shop-2")
	if err := store.DeleteChannelProvider(shop, "webhook"); err != nil {
		t.Fatal(err)
	}
	sendAs(shop, "after-delete")

	for h, want := range map[*channelstest.Webhook]string{
		envHook:     "before-put rival-1 after-delete",
		shopHook:    "shop-1",
		shopNewHook: "shop-2",
	} {
		if got := received(h); got != want {
			t.Errorf("receiver got %q, want %q", got, want)
		}
	}

	// A provider that does not open never falls back to the environment's.
	putHook(t, shop, store, sealer, shopHook.URL, "shop")
	otherKey, _ := channels.NewSealer(bytes.Repeat([]byte{2}, channels.KeySize))
	for name, q := range map[string]*activities.Providers{
		"another key": activities.NewProviders(store, otherKey, map[channels.Channel]activities.Sender{channels.Webhook: env}),
		"no key":      activities.NewProviders(store, nil, map[channels.Channel]activities.Sender{channels.Webhook: env}),
	} {
		_, err := q.Senders()[channels.Webhook].Send(shop, channels.Message{Channel: channels.Webhook, To: "lost", Body: "hi"})
		if err == nil || !strings.Contains(err.Error(), "workspace shop") {
			t.Errorf("%s: %v, want an error naming the workspace", name, err)
		}
	}
	// Nor does a send made outside any workspace.
	if _, err := send.Send(context.Background(), channels.Message{Channel: channels.Webhook, To: "lost", Body: "hi"}); !errors.Is(err, reporting.ErrNoWorkspace) {
		t.Errorf("a send outside any workspace: %v, want ErrNoWorkspace", err)
	}
	if got := received(envHook); strings.Contains(got, "lost") {
		t.Errorf("the environment's receiver got a message of a workspace whose provider did not open: %q", got)
	}
}
