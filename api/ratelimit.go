package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Wrong API keys, at the login form or as bearer tokens, are held back per
// client address by default to a burst of 10, then 6 a minute.
const (
	defaultFailuresPerMinute = 6
	defaultFailureBurst      = 10
)

// failureLimiter holds back clients that keep presenting wrong API keys: a
// token bucket per client address, each failure taking a token. An address
// whose bucket is empty is refused before its key is even compared, so
// guessing goes no faster than the refill rate; requests with the right key
// take nothing, so they are never slowed.
type failureLimiter struct {
	perSecond float64
	burst     float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	// sweepAt is the number of buckets at which full ones are dropped.
	sweepAt int
}

// bucket is one address's tokens as of at. Tokens go below zero when
// failures arrive together, so that each of them is paid for.
type bucket struct {
	tokens float64
	at     time.Time
}

func newFailureLimiter(perMinute float64, burst int) *failureLimiter {
	if perMinute <= 0 {
		perMinute = defaultFailuresPerMinute
	}
	if burst <= 0 {
		burst = defaultFailureBurst
	}
	return &failureLimiter{perSecond: perMinute / 60, burst: float64(burst), now: time.Now,
		buckets: map[string]*bucket{}, sweepAt: 1024}
}

// refill brings b up to date with the tokens earned since it was last used.
func (l *failureLimiter) refill(b *bucket, now time.Time) {
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSecond)
	b.at = now
}

// until returns how long b must wait for a whole token.
func (l *failureLimiter) until(b *bucket) time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second))
}

// wait returns how long addr must wait before its key is checked again;
// zero when it may try now.
func (l *failureLimiter) wait(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		return 0
	}
	l.refill(b, l.now())
	return l.until(b)
}

// fail takes a token from addr's bucket and returns how long addr must now
// wait before its next try, zero when it has tokens left.
func (l *failureLimiter) fail(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[addr]
	if !ok {
		l.sweep(now)
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[addr] = b
	}
	l.refill(b, now)
	b.tokens--
	return l.until(b)
}

// sweep drops the buckets that have filled up again, which are the same
// as none, once there are sweepAt of them; the next sweep waits until the
// map has doubled, so that the work stays proportional to the failures.
func (l *failureLimiter) sweep(now time.Time) {
	if len(l.buckets) < l.sweepAt {
		return
	}
	for addr, b := range l.buckets {
		if l.refill(b, now); b.tokens >= l.burst {
			delete(l.buckets, addr)
		}
	}
	l.sweepAt = max(1024, 2*len(l.buckets))
}

// clientAddress is the address failures are counted against: the peer's
// IP, or for IPv6 its /64, which one host commonly has to itself.
func clientAddress(c echo.Context) string {
	ip, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return c.RealIP()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// keyFingerprint is a short, non-reversible mark of a key that was tried,
// for logs: an HMAC keyed by the real API key, so that the same wrong key
// shows as the same mark while nobody can work the key out from it.
func (s *Server) keyFingerprint(tried string) string {
	mac := hmac.New(sha256.New, []byte(s.apiKey))
	mac.Write([]byte("journeys key tried: " + tried))
	return hex.EncodeToString(mac.Sum(nil)[:6])
}

// failedKey counts a wrong API key from the request's client against its
// address and logs it once, with a fingerprint of the key, never the key.
func (s *Server) failedKey(c echo.Context, addr, tried, where string) {
	attrs := []any{"address", addr, "key_fingerprint", s.keyFingerprint(tried), "at", where}
	if wait := s.failures.fail(addr); wait > 0 {
		attrs = append(attrs, "held_back_for", wait.Round(time.Second).String())
	}
	s.log.WarnContext(c.Request().Context(), "wrong API key", attrs...)
}

// heldBack refuses a request from an address that has run out of tries,
// saying when to try again.
func heldBack(c echo.Context, addr string, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return Errorf(CodeRateLimited, "too many wrong API keys from %s; try again in %d s", addr, secs)
}
