package channels

import (
	"context"
	"fmt"

	"golang.org/x/time/rate"
)

// Sender is what every provider in this package is: something that delivers
// one message and acknowledges it.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Limited is a Sender that holds calls to another Sender to a rate, with a
// token bucket per Limited: wrap each provider once and share the wrapper.
type Limited struct {
	next    Sender
	limiter *rate.Limiter
}

// Limit wraps s so that it is called at most perSecond times a second on
// average, with bursts of up to burst calls; perSecond <= 0 means no limit,
// and burst is at least 1.
func Limit(s Sender, perSecond float64, burst int) *Limited {
	r := rate.Limit(perSecond)
	if perSecond <= 0 {
		r = rate.Inf
	}
	return &Limited{next: s, limiter: rate.NewLimiter(r, max(burst, 1))}
}

// Send waits for a token, then delegates to the wrapped sender. When ctx ends
// first, or its deadline is too near for the wait, Send returns a
// TemporaryError without calling the wrapped sender.
func (l *Limited) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := l.limiter.Wait(ctx); err != nil {
		return Receipt{}, &TemporaryError{Provider: "rate limit", Reason: fmt.Sprintf("wait for %s: %v", m.Channel, err)}
	}
	return l.next.Send(ctx, m)
}
