package journey

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	"journeys/channels"
)

// Message is what one step of a journey sends.
type Message struct {
	// ID names the step in the timeline, the report's funnel, the send's
	// idempotency key and the JourneyStep search attribute, so it must stay
	// the same when the journey is edited. NameTouches and Fill fill in the
	// ones a config leaves out.
	ID       string           `json:"id,omitempty" doc:"The step's id in timelines and reports; keep it when editing the journey. Lower-case letters, digits, _ and -."`
	Channel  channels.Channel `json:"channel" doc:"The channel the message goes out on."`
	Template string           `json:"template" doc:"The id of the template to send (PUT /v1/templates/{id})."`
	// Fallback is the channel used instead when the user cannot be reached
	// on Channel: no contact, unsubscribed, or a dead push token.
	Fallback channels.Channel `json:"fallback,omitempty" doc:"The channel used instead when the user cannot be reached on channel."`
	// Offer asks for a discount code: true for the journey's offer, or an
	// offer of its own. Without it the message carries none.
	Offer *TouchOffer `json:"offer,omitempty" doc:"true for the journey's offer with a discount code, an offer of the message's own, or false for none."`
	// Condition, when set, sends the message only to users it holds for;
	// the others are skipped with the reason "condition".
	Condition Condition `json:"condition,omitempty" doc:"Send only to users this CEL condition holds for; the others are skipped."`
}

// Touch is a message sent after waiting for the goal: the step of a
// journey that nudges the user again.
type Touch struct {
	// After is how long to wait for the goal first; "0s" sends at once.
	After Duration `json:"after" doc:"How long to wait for the goal before sending; \"0s\" sends at once."`
	Message
}

var stepID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// CheckStepID reports a step id at field that is not 1 to 64 lower-case
// letters, digits, _ or -, starting with a letter or digit.
func CheckStepID(field, id string) error {
	if !stepID.MatchString(id) {
		return Errorf(field, "%q must be 1 to 64 lower-case letters, digits, _ or -, such as push-reminder", id)
	}
	return nil
}

// Check reports the first setting of the message at field that cannot run.
func (m Message) Check(field string) error {
	if m.ID != "" {
		if err := CheckStepID(field+".id", m.ID); err != nil {
			return err
		}
	}
	if !m.Channel.Valid() {
		return Errorf(field+".channel", "%q is not a channel; use one of push, email, sms, webhook", m.Channel)
	}
	if m.Template == "" {
		return Errorf(field+".template", "is required")
	}
	if m.Fallback != "" && (!m.Fallback.Valid() || m.Fallback == m.Channel) {
		return Errorf(field+".fallback", "%q is not a channel other than %s; use one of push, email, sms, webhook", m.Fallback, m.Channel)
	}
	if err := m.Offer.check(field + ".offer"); err != nil {
		return err
	}
	return m.Condition.Check(field + ".condition")
}

// Check reports the first setting of the touch at field that cannot run.
func (t Touch) Check(field string) error {
	if err := t.After.CheckWait(field + ".after"); err != nil {
		return err
	}
	return t.Message.Check(field)
}

// Fill takes the settings m leaves out from def: the id, the channel and
// template, the offer and the condition, and the fallback when the channel
// is def's too. A config whose plan names one message by its role (a
// welcome, a reminder) fills it this way, so that the marketer may leave
// the message out or give only what differs.
func (m *Message) Fill(def Message) {
	if m.ID == "" {
		m.ID = def.ID
	}
	if m.Channel == "" {
		m.Channel = def.Channel
		if m.Fallback == "" {
			m.Fallback = def.Fallback
		}
	}
	if m.Template == "" {
		m.Template = def.Template
	}
	if m.Offer == nil {
		m.Offer = def.Offer
	}
	if m.Condition == "" {
		m.Condition = def.Condition
	}
}

// CheckMessages checks each message of a config at its field, in the
// order of the fields' names, and that their step ids differ.
func CheckMessages(ms map[string]Message) error {
	var ids IDs
	for _, field := range slices.Sorted(maps.Keys(ms)) {
		if err := ms[field].Check(field); err != nil {
			return err
		}
		ids.Add(field+".id", ms[field].ID)
	}
	return ids.Err()
}

// NameTouches gives every touch without an id one derived from its
// channel: the first touch on a channel is named after it ("push"), the
// next ones get their number on that channel ("push-2"), skipping ids
// other touches name.
func NameTouches(ts []Touch) {
	taken := map[string]bool{}
	for _, t := range ts {
		taken[t.ID] = t.ID != ""
	}
	perChannel := map[string]int{}
	for i := range ts {
		m := &ts[i].Message
		perChannel[string(m.Channel)]++
		if m.ID != "" {
			continue
		}
		id := string(m.Channel)
		for n := perChannel[id]; n > 1 || taken[id]; n++ {
			id = fmt.Sprintf("%s-%d", m.Channel, max(n, 2))
			if !taken[id] {
				break
			}
		}
		m.ID = id
		taken[id] = true
	}
}

// IDs checks that the steps of a config have distinct ids: Add each step
// with the field it is at, then Err names the first id used twice.
type IDs struct {
	seen map[string]bool
	err  error
}

// Add notes the step at field with id.
func (s *IDs) Add(field, id string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[id] && s.err == nil {
		s.err = Errorf(field, "%q names another step too; step ids must differ", id)
	}
	s.seen[id] = true
}

// Err reports the first id used twice, or nil.
func (s *IDs) Err() error { return s.err }
