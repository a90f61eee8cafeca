package journey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Config is what a journey type's config does besides holding the plan:
// fill in what the marketer left out, then say whether it can run.
type Config interface {
	Defaults()
	Validate() error
}

// Pinned is a config whose runs keep the version of the journey they
// started with: a change to the journey reaches only the runs that start
// after it. Without it, a change applies to the steps a run has not
// reached yet, which suits a plan whose steps stay in place (touches in a
// list) but not one whose steps move (a graph, where a run half way
// through one version may stand on a step the next one removed).
type Pinned interface {
	// Pinned reports whether runs keep their version.
	Pinned() bool
}

// ConfigPtr is a pointer to a config type C.
type ConfigPtr[C any] interface {
	*C
	Config
}

// ParseConfig decodes raw into a C, fills its defaults and validates it.
// Unknown settings are refused. Errors are *ConfigError naming the field.
func ParseConfig[C any, P ConfigPtr[C]](raw json.RawMessage) (C, error) {
	var c C
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && string(trimmed) != "null" {
		if err := Decode(raw, &c, ""); err != nil {
			return c, err
		}
	}
	P(&c).Defaults()
	return c, P(&c).Validate()
}

// Decode decodes raw into v, refusing unknown settings, for a config or a
// part of one at field ("" for the whole config): errors are *ConfigError
// naming the field under it. A config type whose parts decode themselves
// (a map of nodes, say) uses it to name their fields the same way.
func Decode(raw []byte, v any, field string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, field)
	}
	return nil
}

// decodeError turns a JSON decoding error into a ConfigError naming the
// field under prefix.
func decodeError(err error, prefix string) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &ConfigError{Field: join(prefix, jsonPath(typeErr.Field)), Message: fmt.Sprintf("must be %s, not %s", kind(typeErr.Type.Kind().String()), typeErr.Value)}
	}
	var cfgErr *ConfigError
	if errors.As(err, &cfgErr) {
		return &ConfigError{Field: join(prefix, cfgErr.Field), Message: cfgErr.Message}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ConfigError{Field: join(prefix, strings.Trim(name, `"`)), Message: "is not a setting of this journey type"}
	}
	return &ConfigError{Field: prefix, Message: "is not valid JSON: " + err.Error()}
}

// jsonPath drops from a decoding error's field path the Go names of
// embedded structs ("touches.Message.channel" is touches.channel in the
// config): config settings are lower-case, Go names are not.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	parts = slices.DeleteFunc(parts, func(p string) bool { return p != "" && unicode.IsUpper(rune(p[0])) })
	return strings.Join(parts, ".")
}

// join names field under prefix.
func join(prefix, field string) string {
	if prefix == "" || field == "" {
		return prefix + field
	}
	return prefix + "." + field
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

// ConfigError is a journey config that cannot run, naming the field.
type ConfigError struct {
	Field   string
	Message string
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "config " + e.Message
	}
	return "config." + e.Field + ": " + e.Message
}

// Errorf returns a *ConfigError for field with a formatted message.
func Errorf(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// FirstError returns the first of errs that is not nil: a config's
// Validate lists its checks in the order the marketer reads them.
func FirstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// maxEventName bounds the name of an event a config waits for, as the API
// bounds the names of events it takes.
const maxEventName = 100

// CheckEvent reports an event name at field that is empty, longer than
// 100 characters or has spaces around it.
func CheckEvent(field, name string) error {
	if name == "" || name != strings.TrimSpace(name) || len(name) > maxEventName {
		return Errorf(field, "%q must be an event name of 1 to %d characters without surrounding spaces, such as \"activated\"", name, maxEventName)
	}
	return nil
}
