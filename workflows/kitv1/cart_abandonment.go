package kitv1

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"journeys/channels"
)

// CartAbandonmentConfig is the plan of a cart-abandonment journey.
type CartAbandonmentConfig struct {
	// Touches are the messages, in order, each after its own wait.
	Touches []Touch `json:"touches"`
	// FinalWait is how long the last offer has to work before the journey
	// stops.
	FinalWait Duration `json:"final_wait"`
	// Offer is what the touches offer: a discount with a per-user code,
	// and the cashback the last one adds.
	Offer Offer `json:"offer"`
}

// Defaults fills in the classic plan: a day after the cart, push 10% off;
// a day later, email it; a day later, a last offer with cashback by SMS;
// then a last day to buy. The offer is activities.DefaultOffer.
func (c *CartAbandonmentConfig) Defaults() {
	if c.Touches == nil {
		c.Touches = []Touch{
			{After: Hours(24), Channel: channels.Push, Template: "cart_offer"},
			{After: Hours(24), Channel: channels.Email, Template: "cart_offer"},
			{After: Hours(24), Channel: channels.SMS, Template: "cart_final_offer"},
		}
	}
	if !c.FinalWait.IsSet() {
		c.FinalWait = Hours(24)
	}
	c.Offer.Defaults()
}

// Validate reports the first setting that cannot run.
func (c *CartAbandonmentConfig) Validate() error {
	if len(c.Touches) == 0 || len(c.Touches) > 20 {
		return &ConfigError{Field: "touches", Message: "must list between 1 and 20 touches"}
	}
	for i, t := range c.Touches {
		if err := t.check(fmt.Sprintf("touches[%d]", i)); err != nil {
			return err
		}
	}
	if err := c.FinalWait.Check("final_wait"); err != nil {
		return err
	}
	return c.Offer.Check("offer")
}

// CartAbandonment wins back a user who left items in the cart: before each
// touch it waits for a purchase, and a purchase at any point ends it.
func CartAbandonment(ctx workflow.Context, in Input) (Result, error) {
	j, cfg, err := Start[CartAbandonmentConfig](ctx, in)
	if err != nil {
		return Result{}, err
	}
	// An index loop, so that a config change reaches the touches not sent yet.
	for i := 0; i < len(cfg.Touches); i++ {
		touch := cfg.Touches[i]
		if j.WaitForGoal(touch.After.Duration) {
			return j.Converted()
		}
		j.Send(touch, cfg.Offer)
	}
	if j.WaitForConversion(cfg.FinalWait.Duration) {
		return j.Converted()
	}
	return j.Exit("not_converted")
}
