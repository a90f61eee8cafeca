package workflows_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"journeys/workflows"
)

// compile compiles a journey type's config schema with a maintained JSON
// Schema validator, checking it against the draft 2020-12 meta-schema.
func compile(t *testing.T, typ workflows.Type) *jsonschema.Schema {
	t.Helper()
	raw, err := json.Marshal(typ.Schema())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(typ.Name+".json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(typ.Name + ".json")
	if err != nil {
		t.Fatalf("the schema of %s does not compile: %v\n%s", typ.Name, err, raw)
	}
	return s
}

func instance(t *testing.T, raw string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEveryTypeDefaultConfigFitsItsSchema(t *testing.T) {
	names := workflows.TypeNames()
	for _, want := range []string{"cart_abandonment", "welcome_series", "winback"} {
		if !slices.Contains(names, want) {
			t.Errorf("types = %v, want %s among them", names, want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			typ, _ := workflows.Lookup(name)
			s := compile(t, typ)
			def, err := typ.Config(nil)
			if err != nil {
				// A type without a default config (a flow) has none to show.
				if _, ok := typ.Schema()["default"]; ok {
					t.Errorf("the schema has a default, but the type has none: %v", err)
				}
				return
			}
			if err := s.Validate(instance(t, string(def))); err != nil {
				t.Errorf("default config %s does not fit the schema: %v", def, err)
			}
			// An empty config takes the defaults, so it fits too.
			if err := s.Validate(instance(t, `{}`)); err != nil {
				t.Errorf("{} does not fit the schema: %v", err)
			}
			sch := typ.Schema()
			if sch["title"] != name || sch["description"] != typ.Description || sch["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("schema head = %v %v %v, want the type's name, description and draft 2020-12", sch["title"], sch["description"], sch["$schema"])
			}
		})
	}
}

// TestSchemaRefusesWhatConfigsRefuse checks the schema's shapes against
// configs the types refuse for their shape: a form built from the schema
// cannot produce them.
func TestSchemaRefusesWhatConfigsRefuse(t *testing.T) {
	tests := []struct {
		typ, config string
		fits        bool
	}{
		{"cart_abandonment", `{"touches":[{"after":"0s","channel":"push","template":"t","offer":{"discount_percent":15}}]}`, true},
		{"cart_abandonment", `{"touches":[{"after":"1h30m","channel":"sms","template":"t","offer":false,"condition":"user.id == \"a\""}]}`, true},
		{"cart_abandonment", `{"touches":[{"after":"1h","channel":"fax","template":"t"}]}`, false},
		{"cart_abandonment", `{"touches":[{"after":"tomorrow","channel":"push","template":"t"}]}`, false},
		{"cart_abandonment", `{"touches":[{"after":"-1h","channel":"push","template":"t"}]}`, false},
		{"cart_abandonment", `{"touches":[{"after":"1h","channel":"push","template":"t","offer":"yes"}]}`, false},
		{"cart_abandonment", `{"touches":[{"after":"1h","channel":"push","template":"t","offer":{"discount":5}}]}`, false},
		{"cart_abandonment", `{"colour":"red"}`, false},
		{"cart_abandonment", `{"final_wait":12}`, false},
		{"welcome_series", `{"activation_event":"first_lesson","reminder":{"template":"r","offer":true}}`, true},
		{"welcome_series", `{"activation_wait":"3 days"}`, false},
		{"welcome_series", `{"welcome":{"channel":"pigeon"}}`, false},
		{"winback", `{"discounts":[{"name":"a","weight":1,"percent":5,"vip_percent":10},{"name":"b","weight":3,"percent":10,"vip_percent":20}]}`, true},
		{"winback", `{"discounts":[{"name":"a","weight":"1"}]}`, false},
		{"winback", `{"vip":true}`, false},
		{"winback", `{"reminder":{"after":"48h","channel":"sms","template":"x"}}`, true},
		{"flow", seedFlow, true},
		{"flow", `{"start":"a","nodes":{"a":{"type":"wait","until":"09:30","next":"b"},"b":{"type":"split","arms":[{"name":"x","weight":1,"next":"c"}]},"c":{"type":"exit"}}}`, true},
		{"flow", `{"start":"a","nodes":{"a":{"type":"teleport"}}}`, false},
		{"flow", `{"start":"a","nodes":{"a":{"type":"wait","duration":"1h","channel":"push"}}}`, false},
		{"flow", `{"start":"a","nodes":{"a":{"type":"wait","until":"9am"}}}`, false},
		{"flow", `{"start":"a","nodes":{"a":{"type":"send","channel":"fax","template":"t"}}}`, false},
		{"flow", `{"start":"a","nodes":[]}`, false},
	}
	for _, tt := range tests {
		typ, _ := workflows.Lookup(tt.typ)
		err := compile(t, typ).Validate(instance(t, tt.config))
		if fits := err == nil; fits != tt.fits {
			t.Errorf("%s %s: fits the schema = %v (%v), want %v", tt.typ, tt.config, fits, err, tt.fits)
		}
		// What fits the schema's shape may still break a rule the schema
		// does not say (a template that must exist, a CEL type); what does
		// not fit never passes the type's own check.
		if _, cerr := typ.Config(json.RawMessage(tt.config)); !tt.fits && cerr == nil {
			t.Errorf("%s %s: the type takes a config its schema refuses", tt.typ, tt.config)
		}
	}
}

func TestSchemaDescribesFields(t *testing.T) {
	typ, _ := workflows.Lookup("winback")
	props := typ.Schema()["properties"].(map[string]any)
	arm := props["discounts"].(map[string]any)["items"].(map[string]any)
	armProps := arm["properties"].(map[string]any)
	for _, f := range []string{"name", "weight", "percent", "vip_percent"} {
		p, ok := armProps[f].(map[string]any)
		if !ok || p["description"] == nil {
			t.Errorf("discounts[].%s = %v, want a described field (the embedded arm's fields flattened)", f, armProps[f])
		}
	}
	if got := props["vip"].(map[string]any); got["type"] != "string" || got["format"] != "cel" {
		t.Errorf("vip = %v, want a CEL string", got)
	}
	channel := props["message"].(map[string]any)["properties"].(map[string]any)["channel"].(map[string]any)
	if !slices.Equal(channel["enum"].([]any), []any{"push", "email", "sms", "webhook"}) {
		t.Errorf("message.channel = %v, want an enum of the channels", channel)
	}
}
