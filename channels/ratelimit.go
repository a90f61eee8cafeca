package channels

import (
	"context"
	"fmt"
	"sync"

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
	return &Limited{next: s, limiter: rate.NewLimiter(limit(perSecond), max(burst, 1))}
}

func limit(perSecond float64) rate.Limit {
	if perSecond <= 0 {
		return rate.Inf
	}
	return rate.Limit(perSecond)
}

// Limits holds one token bucket per key, such as a workspace and its
// provider, so that the senders built for a key over time (its settings
// changed) share one bucket instead of each starting full.
type Limits struct {
	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// Limit wraps s in the bucket of key, set to perSecond with bursts of as
// many (at least 1); perSecond <= 0 means no limit.
func (l *Limits) Limit(key string, s Sender, perSecond float64) *Limited {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limiters == nil {
		l.limiters = map[string]*rate.Limiter{}
	}
	lim, ok := l.limiters[key]
	if !ok {
		lim = rate.NewLimiter(limit(perSecond), max(int(perSecond), 1))
		l.limiters[key] = lim
	}
	lim.SetLimit(limit(perSecond))
	lim.SetBurst(max(int(perSecond), 1))
	return &Limited{next: s, limiter: lim}
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
