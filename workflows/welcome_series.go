package workflows

import (
	"cmp"

	"go.temporal.io/sdk/workflow"

	"journeys/channels"
	"journeys/workflows/journey"
)

// WelcomeSeriesConfig is the plan of a welcome series for people who just
// signed up.
type WelcomeSeriesConfig struct {
	Welcome         journey.Message  `json:"welcome" doc:"Sent at once on sign-up, without an offer unless it asks for one."`
	ActivationEvent string           `json:"activation_event" doc:"The event that says the user got started, such as activated."`
	ActivationWait  journey.Duration `json:"activation_wait" doc:"How long to wait for the activation event."`
	Tips            journey.Message  `json:"tips" doc:"Sent to users who activated: how to get more out of it."`
	Reminder        journey.Message  `json:"reminder" doc:"Sent to users who did not activate in time, with the offer."`
	FinalWait       journey.Duration `json:"final_wait" doc:"How long the last message has to lead to a first purchase."`
	Offer           journey.Offer    `json:"offer" doc:"The discount messages that ask for an offer carry."`
}

// Defaults fills in the plan: welcome by email at once; three days to
// activate; tips by email to those who did, a push reminder with 10% off
// to those who did not; then a week to buy.
func (c *WelcomeSeriesConfig) Defaults() {
	c.Welcome.Fill(journey.Message{ID: "welcome", Channel: channels.Email, Template: "welcome"})
	c.Tips.Fill(journey.Message{ID: "tips", Channel: channels.Email, Template: "welcome_tips"})
	c.Reminder.Fill(journey.Message{ID: "reminder", Channel: channels.Push, Fallback: channels.Email,
		Template: "welcome_reminder", Offer: &journey.TouchOffer{Journey: true}})
	c.ActivationEvent = cmp.Or(c.ActivationEvent, "activated")
	c.ActivationWait = cmp.Or(c.ActivationWait, journey.Hours(72))
	c.FinalWait = cmp.Or(c.FinalWait, journey.Hours(7*24))
	c.Offer.CodePrefix = cmp.Or(c.Offer.CodePrefix, "WELCOME")
	c.Offer.Defaults()
}

// Validate reports the first setting that cannot run.
func (c *WelcomeSeriesConfig) Validate() error {
	return journey.FirstError(
		journey.CheckMessages(map[string]journey.Message{"welcome": c.Welcome, "tips": c.Tips, "reminder": c.Reminder}),
		journey.CheckEvent("activation_event", c.ActivationEvent),
		c.ActivationWait.Check("activation_wait"),
		c.FinalWait.Check("final_wait"),
		c.Offer.Check("offer"),
	)
}

// Events lists the activation event: runs wait for it.
func (c *WelcomeSeriesConfig) Events() []string { return []string{c.ActivationEvent} }

// WelcomeSeries greets a user who signed up, waits to see them get
// started, helps those who did and nudges those who did not, all the way
// racing their first purchase.
func WelcomeSeries(ctx workflow.Context, in journey.Input) (journey.Result, error) {
	j, cfg, err := journey.Start[WelcomeSeriesConfig](ctx, in)
	if err != nil {
		return journey.Result{}, err
	}
	j.Send(cfg.Welcome, cfg.Offer)
	if _, activated := j.WaitForEvent(cfg.ActivationEvent, cfg.ActivationWait.Duration); activated {
		j.Send(cfg.Tips, cfg.Offer)
	} else {
		j.Send(cfg.Reminder, cfg.Offer)
	}
	if j.WaitForConversion(cfg.FinalWait.Duration) {
		return j.Converted()
	}
	return j.Exit("not_converted")
}
