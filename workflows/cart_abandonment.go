package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"journeys/channels"
	"journeys/workflows/journey"
)

// CartAbandonmentConfig is the plan of a cart-abandonment journey.
type CartAbandonmentConfig struct {
	// Touches are the messages, in order, each after its own wait for a
	// purchase. Every touch carries the offer unless it says "offer": false.
	Touches []journey.Touch `json:"touches"`
	// FinalWait is how long the last offer has to work before the journey
	// stops.
	FinalWait journey.Duration `json:"final_wait"`
	// Offer is the discount the touches carry: a percentage with a per-user
	// code, and the cashback the last one mentions.
	Offer journey.Offer `json:"offer"`
}

// Defaults fills in the classic plan: a day after the cart, push 10% off;
// a day later, email it; a day later, a last offer with cashback by SMS;
// then a last day to buy.
func (c *CartAbandonmentConfig) Defaults() {
	if c.Touches == nil {
		c.Touches = []journey.Touch{
			{After: journey.Hours(24), Message: journey.Message{Channel: channels.Push, Template: "cart_offer"}},
			{After: journey.Hours(24), Message: journey.Message{Channel: channels.Email, Template: "cart_offer"}},
			{After: journey.Hours(24), Message: journey.Message{Channel: channels.SMS, Template: "cart_final_offer"}},
		}
	}
	for i := range c.Touches {
		if c.Touches[i].Offer == nil {
			c.Touches[i].Offer = &journey.TouchOffer{Journey: true}
		}
	}
	journey.NameTouches(c.Touches)
	if !c.FinalWait.IsSet() {
		c.FinalWait = journey.Hours(24)
	}
	c.Offer.Defaults()
}

// Validate reports the first setting that cannot run.
func (c *CartAbandonmentConfig) Validate() error {
	if len(c.Touches) == 0 || len(c.Touches) > 20 {
		return journey.Errorf("touches", "must list between 1 and 20 touches")
	}
	var ids journey.IDs
	for i, t := range c.Touches {
		field := fmt.Sprintf("touches[%d]", i)
		if err := t.Check(field); err != nil {
			return err
		}
		ids.Add(field+".id", t.ID)
	}
	if err := ids.Err(); err != nil {
		return err
	}
	if err := c.FinalWait.Check("final_wait"); err != nil {
		return err
	}
	return c.Offer.Check("offer")
}

// FirstWait is the wait before the first touch.
func (c *CartAbandonmentConfig) FirstWait() time.Duration { return c.Touches[0].After.Duration }

// CartAbandonment wins back a user who left items in the cart: before each
// touch it waits for a purchase, and a purchase at any point ends it.
func CartAbandonment(ctx workflow.Context, in journey.Input) (journey.Result, error) {
	j, cfg, err := journey.Start[CartAbandonmentConfig](ctx, in)
	if err != nil {
		return journey.Result{}, err
	}
	// An index loop, so that a config change reaches the touches not sent yet.
	for i := 0; i < len(cfg.Touches); i++ {
		touch := cfg.Touches[i]
		if j.WaitForGoal(touch.After.Duration) {
			return j.Converted()
		}
		j.Send(touch.Message, cfg.Offer)
	}
	if j.WaitForConversion(cfg.FinalWait.Duration) {
		return j.Converted()
	}
	return j.Exit("not_converted")
}
