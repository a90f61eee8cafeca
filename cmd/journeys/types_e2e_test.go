package main

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"journeys/channels/channelstest"
	"journeys/reporting"
	"journeys/workflows/journey"
)

// waitSteps polls a run's timeline, until the user is enrolled and the
// timeline holds n entries, and returns it as enrollment.steps does.
func (s *stack) waitSteps(journeyID, userID string, n int) []string {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var e enrollment
		status := s.call("GET", "/v1/journeys/"+journeyID+"/enrollments/"+userID, nil, &e)
		if got := e.steps(); status == 200 && len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s in %s: gave up waiting for %d steps; now %d %v", userID, journeyID, n, status, e.steps())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkRuns waits for each run of the journey to end and checks its steps,
// users[name] being the user and want[name] the steps; it records the
// runs' histories as <prefix><name>.
func (s *stack) checkRuns(journeyID, prefix string, users map[string]string, want map[string][]string) {
	s.t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		e := s.waitFor(journeyID, users[name], ended)
		if got := e.steps(); !slices.Equal(got, want[name]) {
			s.t.Errorf("%s %s: %s %v, want %v", journeyID, name, e.Status, got, want[name])
		}
		s.recordHistory(prefix+name, e.WorkflowID, e.RunID)
	}
}

// checkReport reads the journey's report and checks its outcomes.
func (s *stack) checkReport(journeyID string, enrolled, converted, exited int, revenue float64) reporting.Report {
	s.t.Helper()
	var r reporting.Report
	s.mustCall("GET", "/v1/journeys/"+journeyID+"/report", nil, 200, &r)
	if r.Enrolled != enrolled || r.Converted != converted || r.Exited != exited || r.Revenue != revenue {
		s.t.Errorf("%s report: enrolled %d, converted %d, exited %d, revenue %v; want %d, %d, %d, %v",
			journeyID, r.Enrolled, r.Converted, r.Exited, r.Revenue, enrolled, converted, exited, revenue)
	}
	return r
}

// postEvent posts a user event with properties and returns how many runs it reached.
func (s *stack) postEvent(id, user, name string, props map[string]any) int {
	s.t.Helper()
	var out struct {
		Signalled int `json:"signalled"`
	}
	s.mustCall("POST", "/v1/events", map[string]any{"event_id": id, "user_id": user, "name": name, "properties": props}, 202, &out)
	return out.Signalled
}

// TestNewJourneyTypesEndToEnd runs welcome_series and winback over HTTP on
// real Temporal and Postgres to each of their outcomes, side by side: both
// start, then each is steered (activations, purchases), then each is
// checked.
func TestNewJourneyTypesEndToEnd(t *testing.T) {
	p, withFakes := startFakeProviders(t)
	s := startStack(t, withFakes)

	var types struct {
		JourneyTypes []struct {
			Name         string         `json:"name"`
			ConfigSchema map[string]any `json:"config_schema"`
		} `json:"journey_types"`
	}
	s.mustCall("GET", "/v1/journey-types", nil, 200, &types)
	var names []string
	for _, typ := range types.JourneyTypes {
		names = append(names, typ.Name)
	}
	for _, want := range []string{"cart_abandonment", "welcome_series", "winback"} {
		if !slices.Contains(names, want) {
			t.Errorf("GET /v1/journey-types lists %v, want %s among them", names, want)
		}
	}

	startWelcome(t, s)
	users := startWinback(t, s)
	steerWelcome(t, s)
	steerWinback(t, s, users)
	checkWelcome(t, s, p)
	checkWinback(t, s, p, users)
}

// welcomeUsers sign up for the welcome series: one activates, one does
// not (and another account's activation is not theirs), one activates and
// buys.
var welcomeUsers = []string{"activates", "idle", "buys"}

func startWelcome(t *testing.T, s *stack) {
	var j reporting.Journey
	s.mustCall("POST", "/v1/journeys", map[string]any{
		"id": "welcome", "name": "Welcome", "type": "welcome_series", "goal_event": "purchase",
		"entry_event": "signed_up", "match": "account_id",
		// Waits long enough for the test to steer the runs on a busy machine.
		"config": map[string]any{"activation_wait": "20s", "final_wait": "10s"},
	}, 201, &j)
	if !slices.Equal(j.ListenedEvents, []string{"activated"}) || j.Match != "account_id" {
		t.Errorf("welcome journey listens for %v, matched on %q; want activated and account_id", j.ListenedEvents, j.Match)
	}
	for i, u := range welcomeUsers {
		s.mustCall("PUT", "/v1/users/"+u, map[string]any{"email": u + "@example.com", "push_token": "tok-" + u,
			"attributes": map[string]string{"first_name": u}}, 200, nil)
		s.postEvent("signup-"+u, u, "signed_up", map[string]any{"account_id": fmt.Sprintf("a%d", i)})
	}
}

func steerWelcome(t *testing.T, s *stack) {
	for i, u := range welcomeUsers {
		s.waitSteps("welcome", u, 2) // the welcome went out
		if u == "idle" {
			// Activation of another account is not this run's.
			if n := s.postEvent("act-"+u, u, "activated", map[string]any{"account_id": "a9"}); n != 0 {
				t.Errorf("another account's activation reached %d runs, want none", n)
			}
			if n := s.postEvent("order-"+u, u, "purchase", map[string]any{"account_id": "a9"}); n != 0 {
				t.Errorf("another account's purchase reached %d runs, want none", n)
			}
			continue
		}
		if n := s.postEvent("act-"+u, u, "activated", map[string]any{"account_id": fmt.Sprintf("a%d", i)}); n != 1 {
			t.Errorf("%s's activation reached %d runs, want 1", u, n)
		}
	}
	s.waitSteps("welcome", "buys", 3) // the tips went out
	if n := s.postEvent("order-buys", "buys", "purchase", map[string]any{"account_id": "a2", "revenue": 30}); n != 1 {
		t.Errorf("the purchase reached %d runs, want 1", n)
	}
}

func checkWelcome(t *testing.T, s *stack, p *fakeProviders) {
	want := map[string][]string{
		"activates": {"enrolled", "sent:welcome", "sent:tips", "exited"},
		"idle":      {"enrolled", "sent:welcome", "sent:reminder", "exited"},
		"buys":      {"enrolled", "sent:welcome", "sent:tips", "converted:tips"},
	}
	s.checkRuns("welcome", "welcome_series_kit2_localsend_", map[string]string{"activates": "activates", "idle": "idle", "buys": "buys"}, want)
	report := s.checkReport("welcome", 3, 1, 2, 30)
	checkWelcomeSteps(t, report)
	if got, want := report.Sends, map[string]int{"push": 1, "email": 5, "sms": 0, "webhook": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("welcome sends = %v, want %v", got, want)
	}
	// The welcome and the tips carry no offer; the reminder does.
	mails := mailsTo(t, p, "activates@example.com")
	if len(mails) != 2 {
		t.Errorf("%d mails to activates, want the welcome and the tips", len(mails))
	}
	for _, m := range mails {
		if strings.Contains(m.Text, "WELCOME-") || !strings.Contains(m.Subject, "activates") && !strings.Contains(m.Subject, "tips") {
			t.Errorf("mail to activates: %q %q, want the welcome or the tips without a code", m.Subject, m.Text)
		}
	}
	var reminded bool
	for _, m := range p.fcm.Messages() {
		if m.Token == "tok-idle" {
			reminded = strings.HasPrefix(m.Data["offer_code"], "WELCOME-") && strings.Contains(m.Notification.Body, m.Data["offer_code"])
		}
	}
	if !reminded {
		t.Errorf("idle got no reminder push with a WELCOME- code; pushes %+v", p.fcm.Messages())
	}
}

// mailsTo returns the mails delivered to addr, taken apart.
func mailsTo(t *testing.T, p *fakeProviders, addr string) []channelstest.Parsed {
	var out []channelstest.Parsed
	for _, m := range p.mailbox.Mails() {
		if slices.Contains(m.To, addr) {
			out = append(out, channelstest.ParseMail(t, m.Data))
		}
	}
	return out
}

// checkOffer checks that the winback offer mailed to addr is percent off
// with a BACK- code.
func checkOffer(t *testing.T, p *fakeProviders, addr string, percent int) {
	mails := mailsTo(t, p, addr)
	if len(mails) != 1 {
		t.Errorf("%d mails to %s, want the offer", len(mails), addr)
		return
	}
	if m := mails[0]; !strings.Contains(m.Subject, fmt.Sprintf("%d%% off", percent)) || !strings.Contains(m.Text, "BACK-") {
		t.Errorf("offer to %s: %q %q, want %d%% off with a BACK- code", addr, m.Subject, m.Text, percent)
	}
}

// winbackAudience is the winback audience file: lapsed users in each tier and
// arm, and one in a time zone where the send window has not opened yet.
func winbackAudience(t *testing.T, tz string) (csv string, users map[string]string) {
	users = map[string]string{}
	var b strings.Builder
	b.WriteString("user_id,email,push_token,timezone,tier,first_name\n")
	row := func(name, tier, zone string) {
		users[name] = userInArm(t, "winback", name)
		fmt.Fprintf(&b, "%s,%s@example.com,tok-%s,%s,%s,%s\n", users[name], name, name, zone, tier, name)
	}
	for _, tier := range []string{"gold", "silver"} {
		for _, arm := range []string{"ten", "fifteen"} {
			row(tier+"-"+arm, tier, "")
		}
	}
	row("late-ten", "silver", tz)
	return b.String(), users
}

// userInArm returns a user id the journey puts in the discount arm that
// name ends with, found with the same hash the journey uses.
func userInArm(t *testing.T, journeyID, name string) string {
	_, arm, _ := strings.Cut(name, "-")
	arms := []journey.Arm{{Name: "ten", Weight: 1}, {Name: "fifteen", Weight: 1}}
	for i := range 1000 {
		id := fmt.Sprintf("%s-%d", name, i)
		if journey.Assign(journey.Input{JourneyID: journeyID, UserID: id}, "discount", arms).Name == arm {
			return id
		}
	}
	t.Fatalf("no user falls in arm %s", arm)
	return ""
}

func startWinback(t *testing.T, s *stack) map[string]string {
	// A window that opened an hour ago in UTC and opens at the next minute
	// in Etc/GMT+1 (UTC-1): that user's offer waits for it. Close to the
	// minute, the import might come after it: wait for the next one.
	if now := time.Now(); now.Second() >= 50 {
		time.Sleep(now.Truncate(time.Minute).Add(time.Minute).Sub(now))
	}
	opens := time.Now().UTC().Truncate(time.Minute).Add(time.Minute - time.Hour)
	window := map[string]any{"days": []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"},
		"start": opens.Format("15:04"), "end": opens.Add(3 * time.Hour).Format("15:04")}
	s.mustCall("POST", "/v1/journeys", map[string]any{
		"id": "winback", "name": "Winback", "type": "winback", "goal_event": "purchase", "send_window": window,
		"config": map[string]any{"reminder": map[string]any{"after": "20s"}, "final_wait": "5s"},
	}, 201, nil)
	csv, users := winbackAudience(t, "Etc/GMT+1")
	req, _ := http.NewRequest("POST", s.base+"/v1/journeys/winback/imports", bytes.NewBufferString(csv))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("import = %d, want 202", resp.StatusCode)
	}
	return users
}

func steerWinback(t *testing.T, s *stack, users map[string]string) {
	buyer := users["gold-fifteen"]
	s.waitSteps("winback", buyer, 4) // the VIP offer went out
	if n := s.postEvent("order-"+buyer, buyer, "purchase", map[string]any{"revenue": 80}); n != 1 {
		t.Errorf("the purchase reached %d runs, want 1", n)
	}
	late := s.waitSteps("winback", users["late-ten"], 4)
	if late[3] != "deferred:winback" {
		t.Errorf("late user's run: %v, want the offer deferred by the send window", late)
	}
}

func checkWinback(t *testing.T, s *stack, p *fakeProviders, users map[string]string) {
	vip := []string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback-vip", "sent:reminder", "exited"}
	regular := []string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback", "sent:reminder", "exited"}
	want := map[string][]string{
		"gold-ten":       vip,
		"gold-fifteen":   {"enrolled", "variant:discount", "profile_updated:tier", "sent:winback-vip", "converted:winback-vip"},
		"silver-ten":     regular,
		"silver-fifteen": regular,
		"late-ten":       {"enrolled", "variant:discount", "profile_updated:tier", "deferred:winback", "sent:winback", "sent:reminder", "exited"},
	}
	percent := map[string]int{"gold-ten": 20, "gold-fifteen": 25, "silver-ten": 10, "silver-fifteen": 15, "late-ten": 10}
	s.checkRuns("winback", "winback_kit2_localsend_", users, want)
	for name, u := range users {
		var profile struct {
			Attributes map[string]any `json:"attributes"`
		}
		s.mustCall("GET", "/v1/users/"+u, nil, 200, &profile)
		tier := map[bool]string{true: "vip", false: "regular"}[strings.HasPrefix(name, "gold")]
		if profile.Attributes["winback_tier"] != tier {
			t.Errorf("winback %s: winback_tier %v, want %s", name, profile.Attributes["winback_tier"], tier)
		}
		checkOffer(t, p, name+"@example.com", percent[name])
	}

	// The funnel is keyed by step number: the two branches' offers share
	// step 3 (and the funnel names the commoner template); steps keeps
	// them apart.
	report := s.checkReport("winback", 5, 1, 4, 80)
	checkWinbackSteps(t, report)
	funnel := map[int]reporting.FunnelStep{}
	for _, f := range report.Funnel {
		funnel[f.Step] = f
	}
	if f := funnel[3]; f.Reached != 5 || f.Sent != 5 || f.SentByChannel["email"] != 5 {
		t.Errorf("funnel step 3 (the offers) = %+v, want 5 reached and sent by email", f)
	}
	if f := funnel[4]; f.Reached != 4 || f.Sent != 4 || f.SentByChannel["push"] != 4 {
		t.Errorf("funnel step 4 (the reminder) = %+v, want 4 reached and sent by push", f)
	}
}
