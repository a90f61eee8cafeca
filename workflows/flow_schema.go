package workflows

import "journeys/workflows/journey"

// JSONSchema describes a flow's nodes: an object of nodes by id, each one
// of the node types with only the settings its type takes.
func (FlowNodes) JSONSchema() map[string]any {
	settings := journey.SchemaOf[FlowNode]()["properties"].(map[string]any)
	kinds := []any{}
	for _, typ := range FlowNodeTypes() {
		props := map[string]any{"type": map[string]any{"const": typ}}
		for _, f := range FlowNodeFields(typ)[1:] {
			props[f] = settings[f]
		}
		kinds = append(kinds, map[string]any{"type": "object", "title": typ, "properties": props,
			"required": []any{"type"}, "additionalProperties": false})
	}
	return map[string]any{"type": "object", "minProperties": 1, "additionalProperties": map[string]any{"oneOf": kinds}}
}
