package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// defaultTimeout bounds one HTTP call when a config leaves Timeout zero.
	defaultTimeout = 10 * time.Second
	// maxAnswer is how much of a provider's answer is read.
	maxAnswer = 64 << 10
	// maxSnippet is how much of an answer an error quotes.
	maxSnippet = 200
)

// newHTTPClient returns a client whose every call ends after timeout, or
// after defaultTimeout when timeout is not positive.
func newHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: orDefault(timeout, defaultTimeout)}
}

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// answer is a provider's HTTP reply, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) ok() bool { return a.status/100 == 2 }

// post sends body to target and reads the answer. A failure to get an answer
// is a TemporaryError that leaves out the URL, which may hold a secret.
func post(ctx context.Context, c *http.Client, provider, target, contentType string, body []byte, h http.Header) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return answer{}, &PermanentError{Provider: provider, Reason: "request: " + withoutURL(err).Error()}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, &TemporaryError{Provider: provider, Reason: withoutURL(err).Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil && resp.StatusCode/100 != 2 {
		return answer{}, &TemporaryError{Provider: provider, Reason: "read answer: " + err.Error()}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// withoutURL strips the URL that net/http puts in its errors.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryable reports whether an HTTP status is worth another try: a timeout,
// a rate limit or a server error.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// statusError turns a non-2xx answer into a TemporaryError or a
// PermanentError by its HTTP status; reason says what the body said.
func statusError(provider string, a answer, reason string, invalidContact bool) error {
	r := fmt.Sprintf("status %d: %s", a.status, reason)
	return refusal(provider, r, a.header, retryable(a.status), invalidContact)
}

// refusal builds the error for a failed send: a TemporaryError carrying the
// Retry-After hint in h when retry is set, a PermanentError otherwise.
func refusal(provider, reason string, h http.Header, retry, invalidContact bool) error {
	if retry {
		return &TemporaryError{Provider: provider, Reason: reason, RetryAfter: retryAfter(h, time.Now())}
	}
	return &PermanentError{Provider: provider, Reason: reason, InvalidContact: invalidContact}
}

// retryAfter reads a Retry-After header given in seconds or as an HTTP date;
// it returns zero when the header is absent, malformed or in the past.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// snippet quotes the start of a body, on one line, for an error message.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if s == "" {
		return "(empty body)"
	}
	if len(s) <= maxSnippet {
		return s
	}
	cut := maxSnippet
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// endpoint joins base, or def when base is empty, with path segments,
// escaping each; it fails unless the result is an absolute http(s) URL.
func endpoint(base, def string, segments ...string) (string, error) {
	if base == "" {
		base = def
	}
	u := strings.TrimRight(base, "/")
	for _, s := range segments {
		u += "/" + url.PathEscape(s)
	}
	if err := checkURL(u); err != nil {
		return "", fmt.Errorf("base url: %w", err)
	}
	return u, nil
}

// receiptID reads the string field name from a 2xx JSON answer. The
// provider took the message, so an unreadable answer gives an empty ID
// rather than an error that would cause a resend.
func receiptID(body []byte, name string) string {
	var fields map[string]any
	_ = json.Unmarshal(body, &fields)
	id, _ := fields[name].(string)
	return id
}

// checkURL reports whether raw is an absolute http or https URL; the error
// leaves out raw, which may hold a secret.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("malformed")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an absolute http or https url")
	}
	return nil
}
