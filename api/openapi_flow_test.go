package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"journeys/workflows"
)

// schema returns components.schemas.name, failing the test when it is
// missing.
func (s spec) schema(t *testing.T, name string) map[string]any {
	t.Helper()
	def, ok := s.Components["schemas"][name].(map[string]any)
	if !ok {
		t.Fatalf("api/openapi.yaml: components.schemas.%s is missing", name)
	}
	return def
}

// properties returns the sorted property names of a schema.
func properties(def map[string]any) []string {
	props, _ := def["properties"].(map[string]any)
	return sortedKeys(props)
}

// TestOpenAPIFlowSchemas keeps the flow schemas in step with the flow
// type: the config's fields, and for every node type a schema taking
// exactly the settings the type takes.
func TestOpenAPIFlowSchemas(t *testing.T) {
	s := loadSpec(t)
	for name, v := range map[string]any{"FlowConfig": workflows.FlowConfig{}, "FlowArm": workflows.FlowArm{}} {
		fields := jsonFields(reflect.TypeOf(v))
		slices.Sort(fields)
		if got := properties(s.schema(t, name)); !slices.Equal(got, fields) {
			t.Errorf("components.schemas.%s documents %v; %T has %v", name, got, v, fields)
		}
	}
	node := s.schema(t, "FlowNode")
	mapping, _ := node["discriminator"].(map[string]any)["mapping"].(map[string]any)
	if got, want := sortedKeys(mapping), workflows.FlowNodeTypes(); !slices.Equal(got, want) {
		t.Errorf("FlowNode's discriminator maps %v, want the node types %v", got, want)
	}
	if oneOf, _ := node["oneOf"].([]any); len(oneOf) != len(workflows.FlowNodeTypes()) {
		t.Errorf("FlowNode lists %d schemas, want one per node type (%d)", len(oneOf), len(workflows.FlowNodeTypes()))
	}
	for _, typ := range workflows.FlowNodeTypes() {
		def, _ := s.resolve(t, map[string]any{"$ref": mapping[typ]}).(map[string]any)
		want := workflows.FlowNodeFields(typ)
		slices.Sort(want)
		if got := properties(def); !slices.Equal(got, want) {
			t.Errorf("the schema of %s nodes documents %v; the type takes %v", typ, got, want)
		}
		if c := def["properties"].(map[string]any)["type"].(map[string]any)["const"]; c != typ {
			t.Errorf("the schema of %s nodes has type const %v", typ, c)
		}
	}
}

// TestOpenAPIJourneyTypes checks that the documented journey types are the
// registered ones.
func TestOpenAPIJourneyTypes(t *testing.T) {
	s := loadSpec(t)
	for _, name := range []string{"JourneyRequest", "Journey"} {
		typ, _ := s.schema(t, name)["properties"].(map[string]any)["type"].(map[string]any)
		var got []string
		for _, v := range typ["enum"].([]any) {
			got = append(got, fmt.Sprint(v))
		}
		if want := workflows.TypeNames(); !slices.Equal(got, want) {
			t.Errorf("components.schemas.%s.type lists %v, want the journey types %v", name, got, want)
		}
	}
}

// TestOpenAPIFlowExampleIsValid checks that the flow in the create example
// is one the service accepts.
func TestOpenAPIFlowExampleIsValid(t *testing.T) {
	s := loadSpec(t)
	op := s.operations()["POST /v1/journeys"]
	examples := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["examples"].(map[string]any)
	example, ok := examples["flow"].(map[string]any)
	if !ok {
		t.Fatal("POST /v1/journeys has no flow example")
	}
	raw, err := json.Marshal(example["value"].(map[string]any)["config"])
	if err != nil {
		t.Fatal(err)
	}
	flow, _ := workflows.Lookup("flow")
	if _, err := flow.Config(raw); err != nil {
		t.Errorf("the flow example is refused: %v", err)
	}
}
