package api

import (
	"bytes"
	"encoding/json"
	"strings"

	"journeys/reporting"
)

// The journey controls are the journey fields that steer its runs besides
// the config: send_window (when sends may go), transactional (whether
// frequency caps apply) and match (how later events are matched to a run).

// checkControls validates a new journey's controls.
func (r *journeyRequest) checkControls() error {
	if err := checkSendWindow(r.SendWindow); err != nil {
		return err
	}
	return checkMatch(r.Match, r.EntryEvent)
}

func checkSendWindow(w *reporting.SendWindow) error {
	if w == nil {
		return nil
	}
	if err := w.Validate(); err != nil {
		return Errorf(CodeInvalid, "%v", err)
	}
	return nil
}

// checkMatch checks a match property: a property name of the entry event,
// so a journey without one has nothing to match on.
func checkMatch(match, entryEvent string) error {
	switch {
	case match == "":
		return nil
	case match != strings.TrimSpace(match) || len(match) > maxMatchLength:
		return Errorf(CodeInvalid, "match %q must be a property name of at most %d characters without surrounding spaces, such as \"cart_id\"", match, maxMatchLength)
	case entryEvent == "":
		return Errorf(CodeInvalid, "match %q needs an entry_event: the value to match comes from the event that enrolls the user", match)
	}
	return nil
}

// applyControls checks the patch's controls against journey j and adds
// them to u: an absent field stays as it is, and "send_window": null
// removes the window.
func (p journeyPatch) applyControls(j reporting.Journey, u *reporting.JourneyUpdate) error {
	if p.SendWindow != nil {
		u.SetSendWindow = true
		if !bytes.Equal(bytes.TrimSpace(p.SendWindow), []byte("null")) {
			dec := json.NewDecoder(bytes.NewReader(p.SendWindow))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&u.SendWindow); err != nil {
				return Errorf(CodeInvalid, `send_window must be null or an object such as {"days": ["mon"], "start": "09:00", "end": "21:00"}`)
			}
			if err := checkSendWindow(u.SendWindow); err != nil {
				return err
			}
		}
	}
	if p.Match != nil {
		if err := checkMatch(*p.Match, j.EntryEvent); err != nil {
			return err
		}
	}
	u.Transactional, u.Match = p.Transactional, p.Match
	return nil
}
