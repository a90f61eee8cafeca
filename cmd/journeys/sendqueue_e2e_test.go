package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"journeys/channels"
	"journeys/workflows/journey"
)

// TestSendQueues runs a journey whose first touch goes on a channel held
// to no rate (push, on the console) and whose second goes on one held to
// its provider's rate (the webhook, at its default): the first send runs
// as a local activity, in the workflow task that reaches it, and the
// second is scheduled on the webhook's send queue, which Temporal holds
// to the rate. The run's marker keeps the channels held to a rate.
func TestSendQueues(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(receiver.Close)
	s := startStack(t, func(c *config) {
		c.Channels.WebhookURL, c.Channels.WebhookSecret = receiver.URL, "hook-secret"
	})
	s.mustCall("POST", "/v1/journeys", cartJourney("queues", map[string]any{
		"config": map[string]any{
			"touches": []map[string]string{
				{"after": "1s", "channel": "push", "template": "cart_offer"},
				{"after": "1s", "channel": "webhook", "template": "cart_offer"},
			},
			"final_wait": "1s",
		},
	}), 201, nil)
	s.mustCall("PUT", "/v1/users/u1", map[string]any{"push_token": "tok-1"}, 200, nil)
	var e enrollment
	s.mustCall("POST", "/v1/journeys/queues/enrollments", map[string]string{"user_id": "u1"}, 202, &e)
	if err := s.temporal.GetWorkflow(t.Context(), e.WorkflowID, e.RunID).Get(t.Context(), nil); err != nil {
		t.Fatal(err)
	}

	// The sends as the history has them: a local activity's by its
	// marker, an activity's by its task queue.
	var sends, markers []string
	events := s.temporal.GetWorkflowHistory(context.Background(), e.WorkflowID, e.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for events.HasNext() {
		ev, err := events.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a.GetActivityType().GetName() == "Send" {
			sends = append(sends, a.GetTaskQueue().GetName())
		}
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil {
			markers = append(markers, m.GetMarkerName()+":"+localActivityType(t, m))
		}
	}
	if want := []string{journey.SendTaskQueue(channels.Webhook)}; !slices.Equal(sends, want) {
		t.Errorf("sends scheduled on %v, want %v", sends, want)
	}
	// Before the first send, the run's rates; then the push; the last,
	// closing the enrollment.
	if want := []string{"MutableSideEffect:", "LocalActivity:Send", "LocalActivity:Finish"}; !slices.Equal(markers, want) {
		t.Errorf("markers = %v, want %v", markers, want)
	}
	var sent []string
	if err := s.store.DB().Select(&sent, `SELECT channel FROM journey_events WHERE journey_id = 'queues' AND kind = 'sent' ORDER BY step`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"push", "webhook"}; !slices.Equal(sent, want) {
		t.Errorf("sent on %v, want %v", sent, want)
	}
}

// localActivityType returns the activity type a local activity's marker
// names, or "" for another marker.
func localActivityType(t *testing.T, m *historypb.MarkerRecordedEventAttributes) string {
	t.Helper()
	data, ok := m.GetDetails()["data"]
	if m.GetMarkerName() != "LocalActivity" || !ok {
		return ""
	}
	var d struct{ ActivityType string }
	if err := converter.GetDefaultDataConverter().FromPayloads(data, &d); err != nil {
		t.Fatal(err)
	}
	return d.ActivityType
}
