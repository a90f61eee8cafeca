// Package activities holds the side effects of journeys: recording what a
// run did and sending messages. Every activity is safe to retry.
package activities

import (
	"context"
	"log/slog"

	"journeys/channels"
	"journeys/metrics"
	"journeys/reporting"
)

// Sender delivers one message on one channel.
type Sender interface {
	Send(ctx context.Context, m channels.Message) (channels.Receipt, error)
}

// Store is the part of the reporting store the activities use.
type Store interface {
	Journey(ctx context.Context, id string) (reporting.Journey, error)
	User(ctx context.Context, id string) (reporting.User, error)
	MergeUser(ctx context.Context, u reporting.User) error
	Record(ctx context.Context, e reporting.Entry) error
	EndEnrollment(ctx context.Context, id int64, status string, e reporting.Entry) error
	ClaimDelivery(ctx context.Context, key string, enrollmentID int64, step int, channel string) (reporting.Delivery, error)
	MarkDelivered(ctx context.Context, key, provider, providerID string) error
	Delivery(ctx context.Context, key string) (reporting.Delivery, error)
	Template(ctx context.Context, id string, locales []string) (reporting.Template, error)
	InvalidatePushToken(ctx context.Context, userID, token string) error
}

// Caps judges sends against the frequency caps of the workspace in ctx,
// and counts those that fit (see reporting.Store.AdmitSend).
type Caps interface {
	AdmitSend(ctx context.Context, send reporting.CapSend) (bool, error)
}

// Activities holds what journey activities depend on. Workflows call its
// methods through a nil pointer; the worker registers a filled one.
type Activities struct {
	Store   Store
	Senders map[channels.Channel]Sender
	// Caps holds sends to the frequency caps; nil caps nothing.
	Caps Caps
	Log  *slog.Logger
	// OfferSecret keys the discount codes (see OfferCode); without it
	// anyone who knows the scheme can work out a user's code.
	OfferSecret []byte
	// Unsubscribe makes the one-click unsubscribe link of an email from the
	// workspace and user id (see channels.UnsubscribeToken); nil sends no
	// link.
	Unsubscribe func(workspace, userID string, c channels.Channel) string
	// Metrics counts deferred and skipped touches and ended runs; nil
	// counts nothing.
	Metrics *metrics.Metrics
}
