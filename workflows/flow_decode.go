package workflows

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"journeys/workflows/journey"
)

// flowNodeFields are the settings each node type takes.
var flowNodeFields = map[string][]string{
	NodeWait:          {"type", "duration", "until", "next"},
	NodeWaitForEvent:  {"type", "event", "match", "timeout", "next", "on_timeout"},
	NodeCondition:     {"type", "expr", "then", "else"},
	NodeSplit:         {"type", "arms"},
	NodeSend:          {"type", "channel", "template", "fallback", "offer", "condition", "next"},
	NodeUpdateProfile: {"type", "set", "next"},
	NodeExit:          {"type", "reason"},
}

// FlowNodeTypes lists the node types a flow may use, sorted.
func FlowNodeTypes() []string { return slices.Sorted(maps.Keys(flowNodeFields)) }

// FlowNodeFields lists the settings a node of type typ takes, "type"
// first; nil for a type that does not exist.
func FlowNodeFields(typ string) []string { return slices.Clone(flowNodeFields[typ]) }

// UnmarshalJSON reads the nodes one by one, in id order, refusing a node
// type that does not exist and a setting its type does not take, each as a
// *journey.ConfigError naming the node and field (nodes.push1.duration).
func (ns *FlowNodes) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*ns = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return journey.Errorf("nodes", "must be an object of nodes by id, such as {\"wait1\": {\"type\": \"wait\", \"duration\": \"24h\", \"next\": \"push1\"}}")
	}
	out := make(FlowNodes, len(raw))
	for _, id := range slices.Sorted(maps.Keys(raw)) {
		n, err := decodeNode("nodes."+id, raw[id])
		if err != nil {
			return err
		}
		out[id] = n
	}
	*ns = out
	return nil
}

// decodeNode reads the node at field.
func decodeNode(field string, b json.RawMessage) (FlowNode, error) {
	var settings map[string]json.RawMessage
	if err := json.Unmarshal(b, &settings); err != nil || settings == nil {
		return FlowNode{}, journey.Errorf(field, "must be a node object such as {\"type\": \"wait\", \"duration\": \"24h\", \"next\": \"push1\"}")
	}
	var typ string
	_ = json.Unmarshal(settings["type"], &typ)
	allowed, ok := flowNodeFields[typ]
	if !ok {
		return FlowNode{}, journey.Errorf(field+".type", "%q is not a node type; use one of %s", typ, strings.Join(FlowNodeTypes(), ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		if !slices.Contains(allowed, name) {
			return FlowNode{}, journey.Errorf(field+"."+name, "is not a setting of a %s node, which takes %s", typ, strings.Join(allowed[1:], ", "))
		}
	}
	var n FlowNode
	if err := journey.Decode(b, &n, field); err != nil {
		return FlowNode{}, err
	}
	return n, nil
}
