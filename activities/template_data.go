package activities

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"journeys/reporting"
)

// TemplateData is what a template renders: {{.User.first_name}} reads the
// user's profile attributes, {{.Offer.Code}} the enrollment's discount code.
// An attribute the user lacks renders as nothing.
type TemplateData struct {
	User  map[string]any
	Offer TemplateOffer
}

// TemplateOffer is the journey's offer as templates see it.
type TemplateOffer struct {
	DiscountPercent int
	CashbackPercent int
	// Code is the enrollment's discount code, such as CART-7KQ2M4XA.
	Code string
}

// What a template sees of the user's attributes is cut to these sizes, so
// that the work of a render does not grow with the profile. The step limit
// of template_rules.go counts on them: a range runs at most maxListItems
// times for each time it is reached, and all the runs of one range add up
// to at most maxTemplateItems, since a range inside another can only go
// over lists that belong to the item the outer one is at.
const (
	// maxListItems is how many items of a list, or keys of a map (the
	// first in key order), inside the attributes a template sees.
	maxListItems = 100
	// maxTemplateItems is how many items of lists and maps inside the
	// attributes a template sees in all, the outer ones first.
	maxTemplateItems = 1000
	// maxAttributeText is how much of a text in the attributes a template
	// sees.
	maxAttributeText = 8 << 10
)

// userData returns the user's attributes as templates see them: every
// top-level attribute, with texts, lists and maps inside them cut to the
// sizes above.
func userData(u reporting.User) (map[string]any, error) {
	attrs := map[string]any{}
	if len(u.Attributes) > 0 {
		if err := json.Unmarshal(u.Attributes, &attrs); err != nil {
			return nil, fmt.Errorf("user attributes: %w", err)
		}
	}
	if attrs == nil { // the attributes were JSON null
		attrs = map[string]any{}
	}
	cut(attrs)
	return attrs, nil
}

// slot is where a value sits in the map or list that holds it, so that a
// list cut shorter can be put back.
type slot struct {
	m   map[string]any
	key string
	l   []any
	i   int
}

func (s slot) get() any {
	if s.m != nil {
		return s.m[s.key]
	}
	return s.l[s.i]
}

func (s slot) set(v any) {
	if s.m != nil {
		s.m[s.key] = v
	} else {
		s.l[s.i] = v
	}
}

// cut cuts the decoded attributes in place, breadth first, so that when
// maxTemplateItems runs out the outer lists are whole and the deeper ones
// short: a user's orders keep their ids before each order its every item.
func cut(attrs map[string]any) {
	left := maxTemplateItems
	var queue []slot
	for _, k := range sortedKeys(attrs) {
		queue = append(queue, slot{m: attrs, key: k})
	}
	for i := 0; i < len(queue); i++ {
		s := queue[i]
		switch v := s.get().(type) {
		case string:
			s.set(cutText(v))
		case []any:
			v = v[:min(len(v), maxListItems, left)]
			left -= len(v)
			s.set(v)
			for j := range v {
				queue = append(queue, slot{l: v, i: j})
			}
		case map[string]any:
			keys := sortedKeys(v)
			n := min(len(keys), maxListItems, left)
			for _, k := range keys[n:] {
				delete(v, k)
			}
			left -= n
			for _, k := range keys[:n] {
				queue = append(queue, slot{m: v, key: k})
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cutText returns the first maxAttributeText bytes of s, ending on a whole
// character.
func cutText(s string) string {
	if len(s) <= maxAttributeText {
		return s
	}
	end := maxAttributeText
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end]
}
