package journey_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"journeys/workflows/journey"
)

// everything is a config with a field of every kind Schema describes.
type everything struct {
	Name    string            `json:"name" doc:"A name."`
	Count   int               `json:"count"`
	Ratio   float64           `json:"ratio"`
	On      bool              `json:"on"`
	Wait    journey.Duration  `json:"wait"`
	When    journey.Condition `json:"when"`
	Tags    []string          `json:"tags"`
	Labels  map[string]int    `json:"labels"`
	Extra   json.RawMessage   `json:"extra"`
	Maybe   *int              `json:"maybe,omitempty"`
	Skipped string            `json:"-"`
	hidden  string
	Touch   journey.Touch     `json:"touch"`
	Own     described         `json:"own"`
	At      journey.TimeOfDay `json:"at"`
	*pointed
}

// pointed is embedded through a pointer: its fields are flattened too.
type pointed struct {
	Deep string `json:"deep"`
}

// described describes itself.
type described struct{}

func (described) JSONSchema() map[string]any { return map[string]any{"const": "mine"} }

func TestSchema(t *testing.T) {
	s := journey.Schema(reflect.TypeFor[everything]())
	b, _ := json.Marshal(s)
	var got map[string]any
	_ = json.Unmarshal(b, &got)
	props := got["properties"].(map[string]any)

	want := map[string]string{
		"name":   `{"description":"A name.","type":"string"}`,
		"count":  `{"type":"integer"}`,
		"ratio":  `{"type":"number"}`,
		"on":     `{"type":"boolean"}`,
		"wait":   `{"examples":["24h","90m","0s"],"pattern":"^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$","type":"string"}`,
		"when":   `{"examples":["user.attributes.tier == \"gold\""],"format":"cel","maxLength":2000,"type":"string"}`,
		"tags":   `{"items":{"type":"string"},"type":"array"}`,
		"labels": `{"additionalProperties":{"type":"integer"},"type":"object"}`,
		"extra":  `{}`,
		"maybe":  `{"type":"integer"}`,
		"own":    `{"const":"mine"}`,
		"at":     `{"examples":["09:30","18:00"],"pattern":"^([01][0-9]|2[0-3]):[0-5][0-9]$","type":"string"}`,
		"deep":   `{"type":"string"}`,
	}
	for field, w := range want {
		b, _ := json.Marshal(props[field])
		if string(b) != w {
			t.Errorf("%s = %s, want %s", field, b, w)
		}
	}
	for _, absent := range []string{"Skipped", "hidden", "-", "pointed"} {
		if _, ok := props[absent]; ok {
			t.Errorf("%s is in the schema; it is not a setting", absent)
		}
	}
	if got["$schema"] != journey.SchemaDialect || got["additionalProperties"] != false || got["type"] != "object" {
		t.Errorf("head = %v %v %v, want a closed object of draft 2020-12", got["$schema"], got["additionalProperties"], got["type"])
	}

	// A touch flattens its embedded message, as encoding/json does.
	touch := props["touch"].(map[string]any)["properties"].(map[string]any)
	for _, f := range []string{"after", "id", "channel", "template", "fallback", "offer", "condition"} {
		if _, ok := touch[f]; !ok {
			t.Errorf("touch lacks %s: %v", f, touch)
		}
	}
	offer, _ := json.Marshal(touch["offer"].(map[string]any)["oneOf"])
	if want := `[{"type":"boolean"},{"additionalProperties":false,"properties":{"cashback_percent":`; string(offer[:len(want)]) != want {
		t.Errorf("touch offer = %s, want true/false or an offer object", offer)
	}
}
