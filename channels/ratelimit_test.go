package channels

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// counter is a Sender that counts its calls.
type counter struct{ calls atomic.Int32 }

func (c *counter) Send(context.Context, Message) (Receipt, error) {
	c.calls.Add(1)
	return Receipt{Provider: "counter"}, nil
}

func TestLimitBurst(t *testing.T) {
	c := &counter{}
	l := Limit(c, 0.5, 2) // a token every 2s, two at once
	for i := range 2 {
		if _, err := l.Send(context.Background(), Message{}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	// The third needs a token 2s away: a 100ms deadline cannot wait that long.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := l.Send(ctx, Message{})
	checkOutcome(t, err, retried, 0)
	if got := c.calls.Load(); got != 2 {
		t.Errorf("got %d calls through, want 2", got)
	}
}

func TestLimitWaits(t *testing.T) {
	c := &counter{}
	l := Limit(c, 20, 1) // a token every 50ms
	start := time.Now()
	for i := range 4 {
		if _, err := l.Send(context.Background(), Message{}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if got := c.calls.Load(); got != 4 {
		t.Errorf("got %d calls through, want 4", got)
	}
	// Three sends beyond the burst wait 50ms each at least.
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("got 4 sends in %v, want about 150ms or more", d)
	}
}

func TestLimitCancel(t *testing.T) {
	c := &counter{}
	l := Limit(c, 0.01, 1) // a token every 100s
	if _, err := l.Send(context.Background(), Message{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Send(ctx, Message{})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		var tmp *TemporaryError
		if !errors.As(err, &tmp) {
			t.Errorf("got %v, want a TemporaryError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send still waiting 5s after cancel")
	}
	if got := c.calls.Load(); got != 1 {
		t.Errorf("got %d calls through, want 1", got)
	}
}

func TestLimitUnlimited(t *testing.T) {
	c := &counter{}
	l := Limit(c, 0, 0)
	for range 100 {
		if _, err := l.Send(context.Background(), Message{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.calls.Load(); got != 100 {
		t.Errorf("got %d calls through, want 100", got)
	}
}

func TestLimitsShareABucketPerKey(t *testing.T) {
	var l Limits
	c := &counter{}
	// Two senders of one key, as when a workspace's provider is rebuilt:
	// the second starts with what the first left in the bucket.
	first := l.Limit("shop/kavenegar", c, 0.5) // one at once, then one every 2s
	if _, err := first.Send(context.Background(), Message{}); err != nil {
		t.Fatal(err)
	}
	second := l.Limit("shop/kavenegar", c, 0.5)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := second.Send(ctx, Message{})
	checkOutcome(t, err, retried, 0)
	// Another workspace's bucket is its own.
	if _, err := l.Limit("rival/kavenegar", c, 0.5).Send(context.Background(), Message{}); err != nil {
		t.Errorf("rival waited on shop's bucket: %v", err)
	}
	if got := c.calls.Load(); got != 2 {
		t.Errorf("got %d calls through, want 2", got)
	}
}
