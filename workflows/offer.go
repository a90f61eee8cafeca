package workflows

import (
	"fmt"
	"regexp"

	"journeys/activities"
)

// Offer is what a journey offers the user, as its config states it: the
// numbers its templates show, and the prefix of the discount code each
// enrollment gets. An omitted field takes activities.DefaultOffer's value.
type Offer struct {
	DiscountPercent *int   `json:"discount_percent,omitempty"`
	CashbackPercent *int   `json:"cashback_percent,omitempty"`
	CodePrefix      string `json:"code_prefix,omitempty"`
}

var codePrefix = regexp.MustCompile(`^[A-Z0-9]{1,12}$`)

func (o *Offer) defaults() {
	def := activities.DefaultOffer
	if o.DiscountPercent == nil {
		o.DiscountPercent = &def.DiscountPercent
	}
	if o.CashbackPercent == nil {
		o.CashbackPercent = &def.CashbackPercent
	}
	if o.CodePrefix == "" {
		o.CodePrefix = def.CodePrefix
	}
}

func (o Offer) check(field string) error {
	for _, p := range []struct {
		name  string
		value *int
	}{{"discount_percent", o.DiscountPercent}, {"cashback_percent", o.CashbackPercent}} {
		if p.value != nil && (*p.value < 0 || *p.value > 100) {
			return &ConfigError{Field: field + "." + p.name, Message: fmt.Sprintf("must be between 0 and 100, not %d", *p.value)}
		}
	}
	if !codePrefix.MatchString(o.CodePrefix) {
		return &ConfigError{Field: field + ".code_prefix", Message: fmt.Sprintf("%q must be 1 to 12 capital letters or digits, such as CART", o.CodePrefix)}
	}
	return nil
}

// values returns the offer as the send activity takes it.
func (o Offer) values() activities.Offer {
	out := activities.Offer{CodePrefix: o.CodePrefix}
	if o.DiscountPercent != nil {
		out.DiscountPercent = *o.DiscountPercent
	}
	if o.CashbackPercent != nil {
		out.CashbackPercent = *o.CashbackPercent
	}
	return out
}
