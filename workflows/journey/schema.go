package journey

import (
	"encoding/json"
	"reflect"
	"strings"

	"journeys/channels"
)

// SchemaDialect is the JSON Schema version Schema writes.
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// Schemer is a config type, or a part of one, that describes its own JSON
// form: one that reads itself from JSON in its own way (a duration, an
// offer that is true or an object), or a config whose shape reflection
// cannot tell.
type Schemer interface {
	JSONSchema() map[string]any
}

// Schema returns the JSON Schema (draft 2020-12) of config type t, so that
// the panel can build its forms from it. It reads t by reflection, as
// encoding/json does: objects by their json tags, embedded structs (or
// pointers to them) flattened, with each field's doc tag as its
// description; lists, strings, integers, numbers and booleans; channels as
// their names. A type that implements Schemer describes itself. Objects
// take no settings they do not list, as configs refuse unknown settings.
func Schema(t reflect.Type) map[string]any {
	s := schemaOf(t)
	s["$schema"] = SchemaDialect
	return s
}

// SchemaOf returns the schema of T without the dialect, for a Schemer
// that includes another type's schema in its own.
func SchemaOf[T any]() map[string]any { return schemaOf(reflect.TypeFor[T]()) }

var (
	schemerType = reflect.TypeFor[Schemer]()
	rawType     = reflect.TypeFor[json.RawMessage]()
	channelType = reflect.TypeFor[channels.Channel]()
)

func schemaOf(t reflect.Type) map[string]any {
	switch {
	case t.Kind() == reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.PointerTo(t).Implements(schemerType):
		return reflect.New(t).Interface().(Schemer).JSONSchema()
	case t == rawType:
		return map[string]any{}
	case t == channelType:
		names := make([]any, len(channels.All))
		for i, c := range channels.All {
			names[i] = string(c)
		}
		return map[string]any{"type": "string", "enum": names}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	// Interfaces and anything else: any JSON value.
	return map[string]any{}
}

// derefType is t, or what t points to.
func derefType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// addFields adds the JSON fields of struct type t to props, flattening
// embedded structs as encoding/json does.
func addFields(t reflect.Type, props map[string]any) {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if embedded := derefType(f.Type); f.Anonymous && name == "" && embedded.Kind() == reflect.Struct && !reflect.PointerTo(embedded).Implements(schemerType) {
			addFields(embedded, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := schemaOf(f.Type)
		if doc := f.Tag.Get("doc"); doc != "" {
			s["description"] = doc
		}
		props[name] = s
	}
}
