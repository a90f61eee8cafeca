package journey

import (
	"bytes"
	"encoding/json"
	"regexp"

	"journeys/activities"
)

// Offer is a discount a message carries, as a journey config states it:
// the numbers its templates show, and the prefix of the discount code each
// enrollment gets. An omitted field takes activities.DefaultOffer's value.
type Offer struct {
	DiscountPercent *int   `json:"discount_percent,omitempty" doc:"The discount, 0 to 100 percent."`
	CashbackPercent *int   `json:"cashback_percent,omitempty" doc:"The cashback templates may mention, 0 to 100 percent."`
	CodePrefix      string `json:"code_prefix,omitempty" doc:"What each enrollment's discount code starts with: 1 to 12 capital letters or digits."`
}

var codePrefix = regexp.MustCompile(`^[A-Z0-9]{1,12}$`)

// Defaults fills in what the config left out from activities.DefaultOffer.
func (o *Offer) Defaults() {
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

// Check reports the first setting of the offer at field that cannot run.
func (o Offer) Check(field string) error {
	for _, p := range []struct {
		name  string
		value *int
	}{{"discount_percent", o.DiscountPercent}, {"cashback_percent", o.CashbackPercent}} {
		if p.value != nil {
			if err := Percent(field+"."+p.name, *p.value); err != nil {
				return err
			}
		}
	}
	if !codePrefix.MatchString(o.CodePrefix) {
		return Errorf(field+".code_prefix", "%q must be 1 to 12 capital letters or digits, such as CART", o.CodePrefix)
	}
	return nil
}

// Percent reports a percentage at field outside 0 to 100.
func Percent(field string, v int) error {
	if v < 0 || v > 100 {
		return Errorf(field, "must be between 0 and 100, not %d", v)
	}
	return nil
}

// WithDiscount returns the offer with another discount, such as the one a
// variant's arm gives.
func (o Offer) WithDiscount(percent int) Offer {
	o.DiscountPercent = &percent
	return o
}

// Values returns the offer as the send activity takes it.
func (o Offer) Values() activities.Offer {
	out := activities.Offer{CodePrefix: o.CodePrefix}
	if o.DiscountPercent != nil {
		out.DiscountPercent = *o.DiscountPercent
	}
	if o.CashbackPercent != nil {
		out.CashbackPercent = *o.CashbackPercent
	}
	return out
}

// TouchOffer is what a message asks to carry: `true` for the journey's
// offer, an offer object of its own, or `false`. A message without one
// carries no discount code.
type TouchOffer struct {
	// Journey asks for the journey's offer.
	Journey bool
	// Own is an offer of the message's own; it wins over Journey.
	Own *Offer
}

// UnmarshalJSON reads true, false or an offer object.
func (t *TouchOffer) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		*t = TouchOffer{Journey: on}
		return nil
	}
	var own Offer
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&own); err != nil {
		return &ConfigError{Field: "offer", Message: "must be true, false or an offer such as {\"discount_percent\": 15}"}
	}
	own.Defaults()
	*t = TouchOffer{Own: &own}
	return nil
}

// MarshalJSON writes the offer back the way it was given.
func (t TouchOffer) MarshalJSON() ([]byte, error) {
	if t.Own != nil {
		return json.Marshal(t.Own)
	}
	return json.Marshal(t.Journey)
}

// JSONSchema describes what a message's offer may be: true, false or an
// offer object.
func (TouchOffer) JSONSchema() map[string]any {
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "boolean"},
		SchemaOf[Offer](),
	}}
}

// resolve returns the offer a message carries, given the journey's; nil
// when it carries none.
func (t *TouchOffer) resolve(journey Offer) *activities.Offer {
	switch {
	case t == nil:
		return nil
	case t.Own != nil:
		v := t.Own.Values()
		return &v
	case t.Journey:
		v := journey.Values()
		return &v
	}
	return nil
}

func (t *TouchOffer) check(field string) error {
	if t == nil || t.Own == nil {
		return nil
	}
	return t.Own.Check(field)
}
