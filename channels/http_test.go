package channels

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// outcome is how a send should end.
type outcome int

const (
	delivered outcome = iota
	refused           // *PermanentError, address fine
	dead              // *PermanentError with InvalidContact
	retried           // *TemporaryError
)

func (o outcome) String() string {
	return [...]string{"delivered", "refused", "dead", "retried"}[o]
}

// outcomeOf classifies err the way the activities package does.
func outcomeOf(err error) outcome {
	var p *PermanentError
	var tmp *TemporaryError
	switch {
	case err == nil:
		return delivered
	case errors.As(err, &p) && p.InvalidContact:
		return dead
	case errors.As(err, &p):
		return refused
	case errors.As(err, &tmp):
		return retried
	}
	return -1
}

// sendCase is one row of a provider's table test: the address sent to, and
// how the send should end.
type sendCase struct {
	to         string
	want       outcome
	retryAfter time.Duration
}

// checkOutcome fails t unless err ends as want, with RetryAfter equal to
// retryAfter when it is a TemporaryError.
func checkOutcome(t *testing.T, err error, want outcome, retryAfter time.Duration) {
	t.Helper()
	if got := outcomeOf(err); got != want {
		t.Fatalf("got %v (%v), want %v", got, err, want)
	}
	var tmp *TemporaryError
	if errors.As(err, &tmp) && tmp.RetryAfter != retryAfter {
		t.Errorf("got RetryAfter %v, want %v", tmp.RetryAfter, retryAfter)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 0 ", 0},
		{"-5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		if got := retryAfter(h, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{"", "(empty body)"},
		{"  {\"a\":\n 1}\n", `{"a": 1}`},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"},
	}
	for _, tt := range tests {
		if got := snippet([]byte(tt.body)); got != tt.want {
			t.Errorf("snippet(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
