package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// bind reads the JSON object of the request body, at most limit bytes, into
// v. See decode for what it refuses.
func bind(c echo.Context, v any, limit int64) error {
	raw, err := readBody(c, limit)
	if err != nil {
		return err
	}
	return decode(raw, "the body", v)
}

// bindBatch reads a batch body, {"<field>": [...]}, of at most limit
// bytes, and returns its items undecoded: each is decoded on its own, so
// that an invalid item fails alone.
func bindBatch(c echo.Context, limit int64, field string) ([]json.RawMessage, error) {
	raw, err := readBody(c, limit)
	if err != nil {
		return nil, err
	}
	var body map[string]json.RawMessage
	if err := decodeFields(raw, "the body", &body); err != nil {
		return nil, err
	}
	for k := range body {
		if k != field {
			return nil, Errorf(CodeInvalid, "unknown field %q; /openapi.yaml lists the fields of each request", clip(k))
		}
	}
	var items []json.RawMessage
	if list := body[field]; !isNull(list) {
		if err := json.Unmarshal(list, &items); err != nil {
			return nil, Errorf(CodeInvalid, "%s must be an array, not %s", field, jsonKind(bytes.TrimSpace(list)[0]))
		}
	}
	return items, nil
}

// readBody reads the request body, refusing one over limit bytes with 413.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	tooLarge := Errorf(CodeTooLarge, "the body is larger than %s, the limit of %s %s",
		byteSize(int(limit)), c.Request().Method, routePath(c))
	if c.Request().ContentLength > limit {
		return nil, tooLarge
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, tooLarge
	case err != nil:
		return nil, Errorf(CodeInvalid, "the body could not be read to its end: %v", err)
	}
	return raw, nil
}

// routePath is the route of the request as the API documents it:
// /v1/users/{user_id}.
func routePath(c echo.Context) string {
	return routeParam.ReplaceAllString(c.Path(), "{$1}")
}

var (
	routeParam = regexp.MustCompile(`:([^/]+)`)
	indexFree  = regexp.MustCompile(`\[[0-9]+\]`)
)

// decode reads raw, one JSON object, into v, refusing with a message that
// names the field: JSON that does not parse, fields v does not have,
// values of the wrong JSON type, and what checkJSON refuses. what names
// the whole object in messages: "the body", "the event".
func decode(raw []byte, what string, v any) error {
	if err := decodeFields(raw, what, v); err != nil {
		return err
	}
	return checkJSON(raw, what)
}

// decodeFields is decode without checkJSON, for batch bodies whose items
// are decoded one by one.
func decodeFields(raw []byte, what string, v any) error {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 {
		return Errorf(CodeInvalid, "%s is empty; send a JSON object", what)
	}
	if trimmed[0] != '{' && json.Valid(raw) {
		return Errorf(CodeInvalid, "%s must be a JSON object ({...}), not %s", what, jsonKind(trimmed[0]))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil && !json.Valid(raw):
		return Errorf(CodeInvalid, "%s has more after its JSON object; send one object", what)
	case err == nil:
		return nil
	case errors.As(err, &syntaxErr):
		return Errorf(CodeInvalid, "%s is not valid JSON (at byte %d): %v", what, syntaxErr.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(CodeInvalid, "%s is not valid JSON: it ends before the object does", what)
	case errors.As(err, &typeErr):
		return Errorf(CodeInvalid, "%s must be %s, not %s", fieldPath(raw, typeErr), jsonType(typeErr.Type), sentType(typeErr.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		var field string
		_ = json.Unmarshal([]byte(name), &field)
		return Errorf(CodeInvalid, "unknown field %q; /openapi.yaml lists the fields of each request", clip(field))
	}
	return Errorf(CodeInvalid, "%s is not valid JSON", what)
}

// fieldPath names the field of a type error with its indices
// (exit_events[2]) when the offset finds it, else as encoding/json does.
func fieldPath(raw []byte, e *json.UnmarshalTypeError) string {
	p := pathAt(raw, e.Offset)
	switch {
	case e.Field != "" && strings.HasPrefix(indexFree.ReplaceAllString(p, ""), e.Field):
		return p
	case e.Field != "":
		return e.Field
	case p != "":
		return p
	}
	return "the value"
}

// jsonKind names the JSON type of a value from its first byte.
func jsonKind(first byte) string {
	switch first {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "true or false"
	}
	return "a number"
}

// jsonType names the JSON type a Go type decodes from.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	}
	return "an object"
}

// sentType names what encoding/json found ("number 1.5", "string").
func sentType(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return clip(n)
	}
	switch v {
	case "array", "object":
		return "an " + v
	case "bool":
		return "true or false"
	}
	return "a " + v
}

// checkObject refuses a JSON value that is not an object (null counts as
// absent).
func checkObject(field string, raw json.RawMessage, example string) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] != '{' && string(trimmed) != "null" {
		return Errorf(CodeInvalid, "%s must be a JSON object, such as %s, not %s", field, example, jsonKind(trimmed[0]))
	}
	return nil
}

// isNull reports whether a JSON value is absent or null.
func isNull(raw json.RawMessage) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) == 0 || string(trimmed) == "null"
}
