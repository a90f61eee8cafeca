package activities

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"journeys/reporting"
)

// TestRunEnding maps each way Temporal closes a run onto the status and
// reason its enrollment ends with.
func TestRunEnding(t *testing.T) {
	result := func(v any) *commonpb.Payloads {
		p, err := converter.GetDefaultDataConverter().ToPayloads(v)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name         string
		event        *historypb.HistoryEvent
		status, want string
	}{
		{"terminated by an operator", &historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{
				Reason: "stuck", Identity: "ops@laptop"}},
		}, reporting.StatusRemoved, "terminated: stuck"},
		{"terminated without a reason", &historypb.HistoryEvent{
			EventType:  enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{}},
		}, reporting.StatusRemoved, "terminated"},
		{"terminated by Temporal at a limit", &historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{
				Reason: "Workflow history size exceeds limit.", Identity: "history-service"}},
		}, reporting.StatusFailed, "terminated: Workflow history size exceeds limit."},
		{"timed out", &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT}, reporting.StatusFailed, "timed out"},
		{"canceled", &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED}, reporting.StatusRemoved, "canceled"},
		{"failed", &historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{
				Failure: &failurepb.Failure{Message: "config version 3 is missing"}}},
		}, reporting.StatusFailed, "failed: config version 3 is missing"},
		{"completed with its result", &historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
				Result: result(map[string]string{"Status": "converted", "Reason": "purchase (event p1)"})}},
		}, reporting.StatusConverted, "purchase (event p1)"},
		{"completed without one", &historypb.HistoryEvent{
			EventType:  enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{}},
		}, reporting.StatusExited, "completed"},
	}
	for _, tt := range tests {
		status, reason := runEnding(tt.event)
		if status != tt.status || reason != tt.want {
			t.Errorf("%s: %s (%s), want %s (%s)", tt.name, status, reason, tt.status, tt.want)
		}
	}
}
