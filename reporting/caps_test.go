package reporting_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func setCaps(t *testing.T, s *reporting.Store, ctx context.Context, caps ...reporting.FrequencyCap) {
	t.Helper()
	if err := s.SetFrequencyCaps(ctx, caps); err != nil {
		t.Fatal(err)
	}
}

func TestFrequencyCapsPerWorkspace(t *testing.T) {
	s, _ := dbtest.New(t)
	a := reporting.WithWorkspace(context.Background(), "a")
	b := reporting.WithWorkspace(context.Background(), "b")
	want := []reporting.FrequencyCap{{Channel: "push", Max: 2, Per: 24 * time.Hour}, {Channel: "any", Max: 5, Per: 168 * time.Hour}}
	setCaps(t, s, a, want...)
	if got, err := s.FrequencyCaps(a); err != nil || !slices.Equal(got, want) {
		t.Errorf("caps of a = %v, %v; want %v", got, err, want)
	}
	if got, err := s.FrequencyCaps(b); err != nil || len(got) != 0 {
		t.Errorf("caps of b = %v, %v; want none", got, err)
	}
	// A PUT replaces them all.
	setCaps(t, s, a, reporting.FrequencyCap{Channel: "sms", Max: 1, Per: time.Hour})
	if got, err := s.FrequencyCaps(a); err != nil || len(got) != 1 || got[0].Channel != "sms" {
		t.Errorf("caps of a after replacing = %v, %v; want sms only", got, err)
	}
	setCaps(t, s, a)
	if got, err := s.FrequencyCaps(a); err != nil || len(got) != 0 {
		t.Errorf("caps of a after removing = %v, %v; want none", got, err)
	}
	if _, err := s.FrequencyCaps(context.Background()); !errors.Is(err, reporting.ErrNoWorkspace) {
		t.Errorf("caps without a workspace: err = %v, want ErrNoWorkspace", err)
	}
	if _, err := s.AdmitSend(context.Background(), reporting.CapSend{Key: "k", UserID: "u1", Channel: "push", At: t0}); !errors.Is(err, reporting.ErrNoWorkspace) {
		t.Errorf("admit without a workspace: err = %v, want ErrNoWorkspace", err)
	}
}

// TestAdmitSendConcurrent sends to one user from many journeys at the same
// instant, round after round, and counts what the caps let through.
func TestAdmitSendConcurrent(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := reporting.WithWorkspace(context.Background(), "shop")
	setCaps(t, s, ctx,
		reporting.FrequencyCap{Channel: "push", Max: 2, Per: 24 * time.Hour},
		reporting.FrequencyCap{Channel: "any", Max: 3, Per: 168 * time.Hour})
	const rounds, journeys = 40, 8
	for round := range rounds {
		user := fmt.Sprintf("u%d", round)
		start := make(chan struct{})
		admitted := make([]bool, journeys)
		var wg sync.WaitGroup
		for j := range journeys {
			// Half the journeys push, half email.
			channel := []string{"push", "email"}[j%2]
			wg.Go(func() {
				<-start
				ok, err := s.AdmitSend(ctx, reporting.CapSend{Key: fmt.Sprintf("journey/j%d/user/%s/1/%s", j, user, channel), UserID: user, Channel: channel, At: t0})
				if err != nil {
					t.Error(err)
				}
				admitted[j] = ok
			})
		}
		close(start)
		wg.Wait()
		var push, all int
		for j, ok := range admitted {
			if ok {
				all++
				if j%2 == 0 {
					push++
				}
			}
		}
		// The any cap lets three through; of them, two pushes at most.
		if all != 3 || push > 2 {
			t.Fatalf("round %d: %d sends admitted, %d of them pushes; want 3, at most 2 pushes", round, all, push)
		}
	}
	var rows int
	if err := s.DB().Get(&rows, `SELECT count(*) FROM frequency_ledger WHERE counted`); err != nil || rows != 3*rounds {
		t.Errorf("counted sends = %d, %v; want %d", rows, err, 3*rounds)
	}
}

func TestAdmitSendIdempotent(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := reporting.WithWorkspace(context.Background(), "shop")
	setCaps(t, s, ctx, reporting.FrequencyCap{Channel: "push", Max: 1, Per: 24 * time.Hour})
	admit := func(key string, at time.Time) bool {
		t.Helper()
		ok, err := s.AdmitSend(ctx, reporting.CapSend{Key: key, UserID: "u1", Channel: "push", At: at})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !admit("a", t0) || !admit("a", t0.Add(time.Minute)) {
		t.Fatal("a send and its retry: want both admitted")
	}
	if admit("b", t0.Add(time.Hour)) {
		t.Fatal("a second push within the day: want it capped")
	}
	// Once the window has passed, the capped send's retry stays capped,
	// and a retry of the counted one did not count twice.
	if admit("b", t0.Add(25*time.Hour)) {
		t.Error("retry of a capped send: want it capped still")
	}
	if !admit("c", t0.Add(25*time.Hour)) {
		t.Error("a new push after the window: want it admitted")
	}
}

func TestAdmitSendWindowSlides(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := reporting.WithWorkspace(context.Background(), "shop")
	other := reporting.WithWorkspace(context.Background(), "other")
	setCaps(t, s, ctx, reporting.FrequencyCap{Channel: "push", Max: 2, Per: 24 * time.Hour})
	steps := []struct {
		after   time.Duration
		channel string
		want    bool
	}{
		{0, "push", true},
		{time.Hour, "push", true},
		{2 * time.Hour, "push", false},
		{3 * time.Hour, "email", true},                // no cap on email
		{24*time.Hour + time.Minute, "push", true},    // the first push has slid out
		{24*time.Hour + 2*time.Minute, "push", false}, // the second has not
		{25*time.Hour + time.Minute, "push", true},    // now it has
		{40 * 24 * time.Hour, "push", true},           // long after: the old rows are pruned
		{40*24*time.Hour + time.Minute, "push", true},
		{40*24*time.Hour + 2*time.Minute, "push", false},
	}
	for i, st := range steps {
		// Another workspace's sends to a user with the same id count
		// against its own caps (it has none), never against these.
		if ok, err := s.AdmitSend(other, reporting.CapSend{Key: fmt.Sprintf("o%d", i), UserID: "u1", Channel: "push", At: t0.Add(st.after)}); err != nil || !ok {
			t.Fatalf("other workspace: %v, %v; want admitted", ok, err)
		}
		got, err := s.AdmitSend(ctx, reporting.CapSend{Key: fmt.Sprintf("k%d", i), UserID: "u1", Channel: st.channel, At: t0.Add(st.after)})
		if err != nil {
			t.Fatal(err)
		}
		if got != st.want {
			t.Errorf("%s after %s: admitted = %v, want %v", st.channel, st.after, got, st.want)
		}
	}
	var old int
	if err := s.DB().Get(&old, `SELECT count(*) FROM frequency_ledger WHERE workspace_id = 'shop' AND at < $1`, t0.Add(30*24*time.Hour)); err != nil || old != 0 {
		t.Errorf("rows older than any window = %d, %v; want them pruned", old, err)
	}
}

// BenchmarkAdmitSend measures what the caps add to a send: one statement
// that locks the user, counts their sends in two windows and records this
// one, for users who each got 20 messages in the past week; beside it, a
// one-row write, of which a send makes three more.
func BenchmarkAdmitSend(b *testing.B) {
	s, _ := dbtest.New(b)
	ctx := reporting.WithWorkspace(context.Background(), "shop")
	if err := s.SetFrequencyCaps(ctx, []reporting.FrequencyCap{
		{Channel: "push", Max: 1000, Per: 24 * time.Hour}, {Channel: "any", Max: 1000, Per: 168 * time.Hour}}); err != nil {
		b.Fatal(err)
	}
	const users = 1000
	s.DB().MustExec(`INSERT INTO frequency_ledger (workspace_id, idempotency_key, user_id, channel, at, counted)
		SELECT 'shop', 'old/' || u || '/' || k, 'u' || u, 'push', $1::timestamptz - k * interval '8 hours', true
		FROM generate_series(1, $2) u, generate_series(1, 20) k`, t0, users)
	sends := 0
	b.Run("admit", func(b *testing.B) {
		for range b.N {
			sends++
			send := reporting.CapSend{Key: fmt.Sprintf("new/%d", sends), UserID: fmt.Sprintf("u%d", sends%users+1), Channel: "push", At: t0}
			if _, err := s.AdmitSend(ctx, send); err != nil {
				b.Fatal(err)
			}
		}
	})
	// For comparison, one row written in a transaction of its own, as
	// each of a send's other writes (claim, mark, record) is.
	n := 0
	b.Run("one write", func(b *testing.B) {
		for range b.N {
			n++
			s.DB().MustExec(`INSERT INTO frequency_ledger (workspace_id, idempotency_key, user_id, channel, at, counted)
				VALUES ('bench', $1, 'u1', 'push', $2, true)`, fmt.Sprintf("one/%d", n), t0)
		}
	})
}
