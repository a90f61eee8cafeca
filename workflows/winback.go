package workflows

import (
	"cmp"

	"go.temporal.io/sdk/workflow"

	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows/journey"
)

// WinbackConfig is the plan of a win-back journey for lapsed users,
// enrolled from an audience import.
type WinbackConfig struct {
	VIP        journey.Condition `json:"vip" doc:"Who takes the VIP path with the bigger discount, as a CEL condition; false for nobody."`
	Discounts  []WinbackDiscount `json:"discounts" doc:"The arms of the discount A/B test; each user is kept in one."`
	Message    journey.Message   `json:"message" doc:"The win-back offer, sent at once, to users off the VIP path."`
	VIPMessage journey.Message   `json:"vip_message" doc:"The win-back offer, sent at once, to VIP users."`
	Reminder   journey.Touch     `json:"reminder" doc:"The last reminder of the offer, after waiting for a purchase."`
	FinalWait  journey.Duration  `json:"final_wait" doc:"How long the reminder has to work before the journey stops."`
	Offer      journey.Offer     `json:"offer" doc:"The offer the messages carry; its discount comes from the user's arm."`
}

// WinbackDiscount is one arm of the discount test: the discount it gives
// users off and on the VIP path.
type WinbackDiscount struct {
	journey.Arm
	Percent    int `json:"percent" doc:"The discount off the VIP path, 0 to 100 percent."`
	VIPPercent int `json:"vip_percent" doc:"The discount on the VIP path, 0 to 100 percent; usually bigger."`
}

// Check reports a discount that cannot be given.
func (d WinbackDiscount) Check(field string) error {
	return journey.FirstError(journey.Percent(field+".percent", d.Percent), journey.Percent(field+".vip_percent", d.VIPPercent))
}

// Defaults fills in the plan: gold-tier users are VIPs; half the users get
// 10% (VIPs 20%), half 15% (VIPs 25%), by email at once; a push reminder
// three days later; three more days to buy. Sends go from 09:00 to 21:00.
func (c *WinbackConfig) Defaults() {
	c.VIP = cmp.Or(c.VIP, `user.attributes.tier == "gold"`)
	if c.Discounts == nil {
		c.Discounts = []WinbackDiscount{{journey.Arm{Name: "ten", Weight: 1}, 10, 20}, {journey.Arm{Name: "fifteen", Weight: 1}, 15, 25}}
	}
	offer := &journey.TouchOffer{Journey: true}
	c.Message.Fill(journey.Message{ID: "winback", Channel: channels.Email, Template: "winback_offer", Offer: offer})
	c.VIPMessage.Fill(journey.Message{ID: "winback-vip", Channel: channels.Email, Template: "winback_vip_offer", Offer: offer})
	c.Reminder.Fill(journey.Message{ID: "reminder", Channel: channels.Push, Fallback: channels.Email, Template: "winback_reminder", Offer: offer})
	c.Reminder.After = cmp.Or(c.Reminder.After, journey.Hours(72))
	c.FinalWait = cmp.Or(c.FinalWait, journey.Hours(72))
	c.Offer.CodePrefix = cmp.Or(c.Offer.CodePrefix, "BACK")
	c.Offer.Defaults()
}

// Validate reports the first setting that cannot run.
func (c *WinbackConfig) Validate() error {
	return journey.FirstError(c.VIP.Check("vip"), journey.CheckArms("discounts", c.Discounts),
		journey.CheckMessages(map[string]journey.Message{"message": c.Message, "vip_message": c.VIPMessage, "reminder": c.Reminder.Message}),
		c.Reminder.After.Check("reminder.after"), c.FinalWait.Check("final_wait"), c.Offer.Check("offer"))
}

// Variants names the discount test's arms.
func (c *WinbackConfig) Variants() map[string][]string {
	return map[string][]string{winbackVariant: journey.ArmNames(c.Discounts)}
}

// winbackVariant is the name of the discount test.
const winbackVariant = "discount"

// SendWindow keeps sends to the day when the journey sets no window.
func (c *WinbackConfig) SendWindow() reporting.SendWindow { return reporting.Daily("09:00", "21:00") }

// Winback brings a lapsed user back: one arm of the discount test, a
// bigger discount on the VIP path, a reminder, and a purchase ends it.
func Winback(ctx workflow.Context, in journey.Input) (journey.Result, error) {
	j, cfg, err := journey.Start[WinbackConfig](ctx, in)
	if err != nil {
		return journey.Result{}, err
	}
	arm := journey.Variant(j, winbackVariant, cfg.Discounts)
	message, offer, tier := cfg.Message, cfg.Offer.WithDiscount(arm.Percent), "regular"
	if j.Check(cfg.VIP) {
		message, offer, tier = cfg.VIPMessage, cfg.Offer.WithDiscount(arm.VIPPercent), "vip"
	}
	j.UpdateProfile("tier", map[string]any{"winback_tier": tier})
	j.Send(message, offer)
	if j.WaitForGoal(cfg.Reminder.After.Duration) {
		return j.Converted()
	}
	j.Send(cfg.Reminder.Message, offer)
	if j.WaitForConversion(cfg.FinalWait.Duration) {
		return j.Converted()
	}
	return j.Exit("not_converted")
}
