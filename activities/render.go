package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"text/template"

	"journeys/channels"
	"journeys/reporting"
)

// content is a message before personalisation.
type content struct {
	Title, Subject, Body string
}

// templates are the messages journeys ship with, by template id.
var templates = map[string]content{
	"cart_offer": {
		Title:   "Still thinking it over?",
		Subject: "10% off what is in your cart",
		Body:    "{{with .first_name}}{{.}}, y{{else}}Y{{end}}our cart is waiting. Take 10% off if you complete your order today.",
	},
	"cart_final_offer": {
		Title:   "Last chance: 10% off plus cashback",
		Subject: "Last chance: 10% off plus cashback",
		Body:    "{{with .first_name}}{{.}}, t{{else}}T{{end}}his is our last reminder: 10% off and cashback on your cart.",
	},
}

// render personalises the touch's template for the user.
func render(in SendInput, u reporting.User, to string) (channels.Message, error) {
	c, ok := templates[in.Template]
	if !ok {
		return channels.Message{}, fmt.Errorf("unknown template %q", in.Template)
	}
	attrs := map[string]any{}
	if len(u.Attributes) > 0 {
		if err := json.Unmarshal(u.Attributes, &attrs); err != nil {
			return channels.Message{}, fmt.Errorf("user attributes: %w", err)
		}
	}
	var fields [3]string
	for i, text := range []string{c.Title, c.Subject, c.Body} {
		t, err := template.New(in.Template).Option("missingkey=zero").Parse(text)
		if err != nil {
			return channels.Message{}, fmt.Errorf("template %s: %w", in.Template, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, attrs); err != nil {
			return channels.Message{}, fmt.Errorf("template %s: %w", in.Template, err)
		}
		fields[i] = b.String()
	}
	return channels.Message{
		Channel:        in.Channel,
		IdempotencyKey: in.IdempotencyKey(),
		UserID:         in.UserID,
		To:             to,
		Title:          fields[0],
		Subject:        fields[1],
		Body:           fields[2],
	}, nil
}
