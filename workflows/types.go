package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// Config is what a journey type's config does besides holding the plan:
// fill in what the marketer left out, then say whether it can run.
type Config interface {
	Defaults()
	Validate() error
}

// Type is a journey type: the workflow that runs it and how it reads its
// config.
type Type struct {
	// Name is the workflow type name registered with Temporal.
	Name string
	// Config validates a config, fills in its defaults and returns it as
	// runs receive it. Errors are *ConfigError naming the field.
	Config func(raw json.RawMessage) (json.RawMessage, error)
	run    func(workflow.Context, Input) (Result, error)
}

// types maps the type names the API accepts to journey types.
var types = map[string]Type{
	"cart_abandonment": newType[CartAbandonmentConfig]("CartAbandonment", CartAbandonment),
}

func newType[C any, P interface {
	*C
	Config
}](name string, run func(workflow.Context, Input) (Result, error)) Type {
	return Type{
		Name: name,
		Config: func(raw json.RawMessage) (json.RawMessage, error) {
			c, err := parseConfig[C, P](raw)
			if err != nil {
				return nil, err
			}
			return json.Marshal(c)
		},
		run: run,
	}
}

// Lookup returns the journey type with the given name.
func Lookup(name string) (Type, bool) {
	t, ok := types[name]
	return t, ok
}

// TypeNames lists the journey type names, sorted.
func TypeNames() []string {
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Registry is where journey workflows are registered: a worker, or the
// Temporal test environment.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every journey type's workflow, and the background
// jobs' workflows, on r.
func Register(r Registry) {
	for _, t := range types {
		r.RegisterWorkflowWithOptions(failOnError(t.run), workflow.RegisterOptions{Name: t.Name})
	}
	r.RegisterWorkflowWithOptions(ImportAudience, workflow.RegisterOptions{Name: "ImportAudience"})
	r.RegisterWorkflowWithOptions(Broadcast, workflow.RegisterOptions{Name: "Broadcast"})
}

// parseConfig decodes raw into a C, fills defaults and validates it.
func parseConfig[C any, P interface {
	*C
	Config
}](raw json.RawMessage) (C, error) {
	var c C
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, decodeError(err)
		}
	}
	P(&c).Defaults()
	return c, P(&c).Validate()
}

// decodeError turns a JSON decoding error into a ConfigError naming the field.
func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &ConfigError{Field: typeErr.Field, Message: fmt.Sprintf("must be %s, not %s", kind(typeErr.Type.Kind().String()), typeErr.Value)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ConfigError{Field: strings.Trim(name, `"`), Message: "is not a setting of this journey type"}
	}
	return &ConfigError{Field: "", Message: "is not valid JSON: " + err.Error()}
}

func kind(k string) string {
	switch k {
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return "a " + k
}
