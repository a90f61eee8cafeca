package journey

import (
	"fmt"
	"strings"
	"time"

	"journeys/activities"
)

// HoldoutReason is the skip reason of every send of a control-group run.
const HoldoutReason = activities.HoldoutReason

// Details renders the state as the Markdown the Temporal UI shows as the
// run's current details: the facts of the state query, for a person, with
// now saying what the run is doing.
func (s State) Details(now string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · user `%s` · %s", s.JourneyName, s.UserID, s.Status)
	if s.Holdout {
		b.WriteString(" · control group: waits, receives nothing")
	}
	fmt.Fprintf(&b, "\n\n**Now:** %s\n\n**Step:** %d (%s)", now, s.Step, s.StepName)
	if len(s.Variants) > 0 {
		fmt.Fprintf(&b, "\n\n**Variants:** %s", strings.Join(s.Variants, ", "))
	}
	if len(s.Sends) == 0 {
		b.WriteString("\n\n**Sent:** nothing yet")
		return b.String()
	}
	b.WriteString("\n\n**Sends:**")
	for _, x := range s.Sends {
		label := x.Channel
		if x.StepID != "" && x.StepID != x.Channel {
			label = x.StepID + " on " + x.Channel
		}
		fmt.Fprintf(&b, "\n%d. %s `%s`: %s", x.Step, label, x.Template, x.Outcome)
		if x.Reason != "" {
			fmt.Fprintf(&b, " (%s)", x.Reason)
		}
	}
	return b.String()
}

// State is what a run is doing, as the state query returns it.
type State struct {
	JourneyID   string `json:"journey_id"`
	JourneyName string `json:"journey_name"`
	UserID      string `json:"user_id"`
	// Holdout marks a control-group run: it waits but sends nothing.
	Holdout bool   `json:"holdout"`
	Status  string `json:"status"`
	// Step counts the steps reached; StepName is the JourneyStep search
	// attribute: "enrolled", then the id of the last step reached.
	Step     int    `json:"step"`
	StepName string `json:"step_name"`
	// Variants are the arms the run was assigned, as name=arm.
	Variants  []string    `json:"variants,omitempty"`
	Version   int         `json:"version"`
	Waiting   string      `json:"waiting,omitempty"`
	WaitUntil *time.Time  `json:"wait_until,omitempty"`
	Held      bool        `json:"held,omitempty"`
	Sends     []SendState `json:"sends"`
}

// SendState is one send of a run as the state query shows it.
type SendState struct {
	Step     int    `json:"step"`
	StepID   string `json:"step_id,omitempty"`
	Channel  string `json:"channel"`
	Template string `json:"template"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason,omitempty"`
}
