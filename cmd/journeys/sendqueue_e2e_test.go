package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"journeys/channels"
	"journeys/workflows/journey"
)

// TestSendQueues runs a journey whose first touch goes on a channel held
// to no rate (push, on the console) and whose second goes on one held to
// its provider's rate (the webhook, at its default): the first send is
// scheduled on the run's own task queue, where its worker starts it at
// once, and the second on the webhook's send queue, which Temporal holds
// to the rate.
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

	var queues []string
	events := s.temporal.GetWorkflowHistory(context.Background(), e.WorkflowID, e.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for events.HasNext() {
		ev, err := events.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a.GetActivityType().GetName() == "Send" {
			queues = append(queues, a.GetTaskQueue().GetName())
		}
	}
	if want := []string{journey.TaskQueue, journey.SendTaskQueue(channels.Webhook)}; !slices.Equal(queues, want) {
		t.Errorf("sends scheduled on %v, want %v", queues, want)
	}
	var sent []string
	if err := s.store.DB().Select(&sent, `SELECT channel FROM journey_events WHERE journey_id = 'queues' AND kind = 'sent' ORDER BY step`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"push", "webhook"}; !slices.Equal(sent, want) {
		t.Errorf("sent on %v, want %v", sent, want)
	}
}
