package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	serverlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// tally counts the warnings and errors that the Temporal server and the
// SDK's workers log during a benchmark, by message, so that a hot path
// that makes Temporal fail tasks shows it next to its figures.
type tally struct {
	mu     sync.Mutex
	counts map[string]int
	// first holds the first error that came with each message.
	first map[string]string
}

func newTally() *tally { return &tally{counts: map[string]int{}, first: map[string]string{}} }

func (t *tally) add(who, level, msg, cause string) {
	key := who + " " + level + ": " + msg
	t.mu.Lock()
	t.counts[key]++
	if _, ok := t.first[key]; !ok && cause != "" {
		t.first[key] = cause
	}
	t.mu.Unlock()
}

// causes lists the first error logged with each message.
func (t *tally) causes() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(t.first)) {
		fmt.Fprintf(&sb, "\n    %s: %s", k, t.first[k])
	}
	return sb.String()
}

// cause is the error among a server message's tags.
func cause(tags []tag.Tag) string {
	for _, t := range tags {
		if t.Key() == "error" {
			return fmt.Sprint(t.Value())
		}
	}
	return ""
}

// take returns the counts since the last take and starts again.
func (t *tally) take() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	got := t.counts
	t.counts = map[string]int{}
	return got
}

// total sums counts.
func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// describe lists counts, most frequent first.
func describe(counts map[string]int) string {
	keys := slices.SortedFunc(maps.Keys(counts), func(a, b string) int { return counts[b] - counts[a] })
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n    %5d  %s", counts[k], k)
	}
	return sb.String()
}

// serverTally is the Temporal server's logger: it counts warnings and
// errors and drops the rest.
type serverTally struct{ t *tally }

var _ serverlog.Logger = serverTally{}

func (serverTally) Debug(string, ...tag.Tag)             {}
func (serverTally) Info(string, ...tag.Tag)              {}
func (s serverTally) Warn(msg string, tags ...tag.Tag)   { s.t.add("server", "warn", msg, cause(tags)) }
func (s serverTally) Error(msg string, tags ...tag.Tag)  { s.t.add("server", "error", msg, cause(tags)) }
func (s serverTally) DPanic(msg string, tags ...tag.Tag) { s.Error(msg, tags...) }
func (s serverTally) Panic(msg string, tags ...tag.Tag)  { s.Error(msg, tags...) }
func (s serverTally) Fatal(msg string, tags ...tag.Tag)  { s.Error(msg, tags...) }

// sdkTally is the Temporal SDK's logger for the clients and workers: a
// failed workflow or activity task is logged there.
type sdkTally struct{ t *tally }

func (sdkTally) Debug(string, ...any)         {}
func (sdkTally) Info(string, ...any)          {}
func (s sdkTally) Warn(msg string, _ ...any)  { s.t.add("sdk", "warn", msg, "") }
func (s sdkTally) Error(msg string, _ ...any) { s.t.add("sdk", "error", msg, "") }

// slogTally is the service's log handler in a benchmark: it counts the
// warnings and errors the service logs, the Temporal SDK's among them (a
// failed workflow or activity task), and drops the rest.
type slogTally struct{ t *tally }

func (slogTally) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (s slogTally) WithAttrs([]slog.Attr) slog.Handler         { return s }
func (s slogTally) WithGroup(string) slog.Handler              { return s }

func (s slogTally) Handle(_ context.Context, r slog.Record) error {
	var err string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" || a.Key == "Error" {
			err = a.Value.String()
			return false
		}
		return true
	})
	s.t.add("service", strings.ToLower(r.Level.String()), r.Message, err)
	return nil
}
