package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"journeys/channels"
	"journeys/reporting"
)

// ProviderStore is where workspaces keep their own channel providers.
type ProviderStore interface {
	ChannelProvider(ctx context.Context, channel string) (reporting.ChannelProvider, error)
}

// Providers picks each message's provider when it is sent: the
// workspace's own provider for the channel when it keeps one, else the
// deployment's (Env). A workspace's provider is built once per version of
// its settings, so a PUT takes effect on the next send without a restart,
// and is held to a rate per workspace and provider. Env providers keep
// their own buckets, shared by every workspace that uses them: they are
// one account with one quota.
type Providers struct {
	store  ProviderStore
	sealer *channels.Sealer
	env    map[channels.Channel]Sender
	limits channels.Limits

	mu    sync.Mutex
	built map[builtKey]builtSender
}

type builtKey struct {
	workspace string
	channel   channels.Channel
}

type builtSender struct {
	updatedAt time.Time
	sender    Sender
}

// NewProviders returns the providers of store's workspaces over env.
// sealer opens their secrets; nil (no JOURNEYS_SECRET_KEY) fails the sends
// of a workspace that keeps a provider, rather than use another's.
func NewProviders(store ProviderStore, sealer *channels.Sealer, env map[channels.Channel]Sender) *Providers {
	return &Providers{store: store, sealer: sealer, env: env, built: map[builtKey]builtSender{}}
}

// Senders returns a sender for each channel that env has, which picks the
// provider of the workspace the send is made in.
func (p *Providers) Senders() map[channels.Channel]Sender {
	out := map[channels.Channel]Sender{}
	for c := range p.env {
		out[c] = channelSender{p: p, channel: c}
	}
	return out
}

type channelSender struct {
	p       *Providers
	channel channels.Channel
}

func (s channelSender) Send(ctx context.Context, m channels.Message) (channels.Receipt, error) {
	sender, err := s.p.Sender(ctx, s.channel)
	if err != nil {
		return channels.Receipt{}, err
	}
	return sender.Send(ctx, m)
}

// Sender returns the sender of channel c in ctx's workspace. Failing to
// read or open a workspace's provider is an error worth retrying (the
// database or the key may come back); it never falls back to the
// environment's provider, which would send as another sender.
func (p *Providers) Sender(ctx context.Context, c channels.Channel) (Sender, error) {
	// A send outside any workspace is a bug: the store call below refuses it.
	ws, _ := reporting.WorkspaceOf(ctx)
	row, err := p.store.ChannelProvider(ctx, string(c))
	if errors.Is(err, reporting.ErrNotFound) {
		return p.env[c], nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up the %s provider: %w", c, err)
	}
	key := builtKey{ws, c}
	p.mu.Lock()
	b, ok := p.built[key]
	p.mu.Unlock()
	if ok && b.updatedAt.Equal(row.UpdatedAt) {
		return b.sender, nil
	}
	if p.sealer == nil {
		return nil, fmt.Errorf("workspace %s has its own %s provider, and JOURNEYS_SECRET_KEY is not set to open it", ws, c)
	}
	setup, err := p.sealer.OpenSetup(ws, c, row.Provider, row.Settings, row.Sealed)
	if err != nil {
		return nil, fmt.Errorf("open the %s provider of workspace %s: %w", c, ws, err)
	}
	built, err := channels.Build(c, setup)
	if err != nil {
		return nil, fmt.Errorf("build the %s provider of workspace %s: %w", c, ws, err)
	}
	sender := p.limits.Limit(ws+"/"+built.Name, built.Sender, built.PerSecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	// A slower builder of an older version must not replace a newer one.
	if cur, ok := p.built[key]; !ok || !cur.updatedAt.After(row.UpdatedAt) {
		p.built[key] = builtSender{updatedAt: row.UpdatedAt, sender: sender}
	}
	return sender, nil
}
