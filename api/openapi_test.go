package api

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
	"journeys/workflows/journey/dryrun"
)

// spec is the part of api/openapi.yaml the tests read; the rest stays
// generic so that references can be resolved anywhere.
type spec struct {
	OpenAPI    string                    `yaml:"openapi"`
	Security   []map[string][]string     `yaml:"security"`
	Paths      map[string]map[string]any `yaml:"paths"`
	Components map[string]map[string]any `yaml:"components"`
	raw        map[string]any
}

// httpMethods are the keys of an OpenAPI path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func loadSpec(t *testing.T) spec {
	t.Helper()
	var s spec
	if err := yaml.Unmarshal(openAPISpec, &s); err != nil {
		t.Fatalf("api/openapi.yaml is not valid YAML: %v", err)
	}
	if err := yaml.Unmarshal(openAPISpec, &s.raw); err != nil {
		t.Fatalf("api/openapi.yaml is not valid YAML: %v", err)
	}
	if !strings.HasPrefix(s.OpenAPI, "3.1.") {
		t.Fatalf("api/openapi.yaml: openapi is %q, want 3.1.x", s.OpenAPI)
	}
	return s
}

// operations returns "METHOD /path" for every operation in the spec.
func (s spec) operations() map[string]map[string]any {
	ops := map[string]map[string]any{}
	for path, item := range s.Paths {
		for key, op := range item {
			if slices.Contains(httpMethods, key) {
				m, _ := op.(map[string]any)
				ops[strings.ToUpper(key)+" "+path] = m
			}
		}
	}
	return ops
}

var echoParam = regexp.MustCompile(`:([^/]+)`)

// registeredRoutes returns "METHOD /path" (OpenAPI path syntax) for every
// route (*Server).routes registers, mapped to the path as Echo spells it.
func registeredRoutes() map[string]string {
	e := echo.New()
	(&Server{}).routes(e)
	routes := map[string]string{}
	for _, r := range e.Routes() {
		// Group middleware makes Echo add catch-all "route not found"
		// routes for /v1 and /v1/*; they are not part of the API.
		if r.Method == echo.RouteNotFound {
			continue
		}
		routes[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = r.Path
	}
	return routes
}

// TestOpenAPIMatchesRoutes keeps api/openapi.yaml and (*Server).routes in
// step: every route must be documented and every documented operation must
// be a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := loadSpec(t)
	ops := s.operations()
	routes := registeredRoutes()
	if len(routes) == 0 {
		t.Fatal("(*Server).routes registered no routes")
	}

	for _, route := range sortedKeys(routes) {
		if _, ok := ops[route]; !ok {
			method, path, _ := strings.Cut(route, " ")
			t.Errorf("route %s %s (registered in (*Server).routes as %q) is missing from api/openapi.yaml: add an operation under paths.%q.%s",
				method, path, routes[route], path, strings.ToLower(method))
		}
	}
	for _, op := range sortedKeys(ops) {
		if _, ok := routes[op]; !ok {
			t.Errorf("api/openapi.yaml documents %s, but (*Server).routes registers no such route: remove it from the spec or register the route", op)
		}
	}
}

// TestOpenAPIOperations checks what each documented operation must say:
// its path parameters, its security, and that it has responses.
func TestOpenAPIOperations(t *testing.T) {
	s := loadSpec(t)
	if !slices.ContainsFunc(s.Security, func(r map[string][]string) bool { _, ok := r["bearerAuth"]; return ok }) {
		t.Error("api/openapi.yaml: the top-level security must require bearerAuth (the /v1 routes need the API key)")
	}
	if _, ok := s.Components["securitySchemes"]["bearerAuth"]; !ok {
		t.Error("api/openapi.yaml: components.securitySchemes.bearerAuth is missing")
	}
	operationIDs := map[string]string{}
	for _, name := range sortedKeys(s.operations()) {
		op := s.operations()[name]
		_, path, _ := strings.Cut(name, " ")
		item := s.Paths[path]

		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: operationId is missing", name)
		} else if prev, dup := operationIDs[id]; dup {
			t.Errorf("%s: operationId %q is used by %s too", name, id, prev)
		}
		operationIDs[id] = name

		// Path parameters: exactly those in the path template.
		want := map[string]bool{}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
			want[m[1]] = true
		}
		got := map[string]bool{}
		for _, list := range []any{item["parameters"], op["parameters"]} {
			params, _ := list.([]any)
			for _, p := range params {
				pm, _ := s.resolve(t, p).(map[string]any)
				if pm["in"] == "path" {
					got[fmt.Sprint(pm["name"])] = true
				}
			}
		}
		for p := range want {
			if !got[p] {
				t.Errorf("%s: path parameter %q is not declared (add it to the path's parameters)", name, p)
			}
		}
		for p := range got {
			if !want[p] {
				t.Errorf("%s: declares path parameter %q, which is not in the path", name, p)
			}
		}

		// The /v1 group requires the API key; nothing else does.
		sec, overridden := op["security"]
		public := overridden && len(sec.([]any)) == 0
		responses, _ := op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s: no responses documented", name)
		}
		if strings.HasPrefix(path, "/v1/") {
			if public {
				t.Errorf("%s: the /v1 routes require the API key; remove `security: []`", name)
			}
			if _, ok := responses["401"]; !ok {
				t.Errorf("%s: the /v1 routes can answer 401; document it", name)
			}
		} else if !public {
			t.Errorf("%s: the route needs no API key; add `security: []`", name)
		}
	}
}

// TestOpenAPIRefsResolve catches $ref typos anywhere in the spec.
func TestOpenAPIRefsResolve(t *testing.T) {
	s := loadSpec(t)
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := s.lookup(ref); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, x := range v {
				walk(at+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(at+"["+strconv.Itoa(i)+"]", x)
			}
		}
	}
	walk("openapi.yaml", s.raw)
}

// TestOpenAPISchemasMatchTypes checks that the documented JSON fields are
// those of the Go types the handlers read and write.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	s := loadSpec(t)
	for schema, v := range map[string]any{
		"JourneyRequest":        journeyRequest{},
		"UserRequest":           userBody{},
		"EnrollRequest":         enrollRequest{},
		"EventRequest":          eventRequest{},
		"Journey":               reporting.Journey{},
		"User":                  reporting.User{},
		"Enrollment":            enrollmentResponse{},
		"TimelineEntry":         reporting.Entry{},
		"Report":                reporting.Report{},
		"Step":                  reporting.Step{},
		"Variant":               reporting.Variant{},
		"VariantArm":            reporting.Arm{},
		"FlowNodeReport":        reporting.Node{},
		"ErrorDetail":           Error{},
		"CartAbandonmentConfig": workflows.CartAbandonmentConfig{},
		"Touch":                 journey.Touch{},
		"Offer":                 journey.Offer{},
		"TemplateRequest":       templateRequest{},
		"Template":              reporting.Template{},
		"JourneyPatch":          journeyPatch{},
		"SendWindow":            reporting.SendWindow{},
		"JourneyType":           journeyType{},
		"ChannelRequest":        channelRequest{},
		"ChannelSettings":       channels.Settings{},
		"ChannelProvider":       channelBody{},
		"PreviewRequest":        previewRequest{},
		"TemplatePreview":       activities.Preview{},
		"PreviewError":          activities.PreviewError{},
		"SimulateRequest":       simulateRequest{},
		"SimulatedEvent":        simulatedEvent{},
		"Simulation":            simulationResponse{},
		"SimulationStep":        dryrun.Step{},
		"SimulationOutcome":     dryrun.Ending{},
		"WorkspaceRequest":      workspaceRequest{},
		"Workspace":             reporting.Workspace{},
		"KeyRequest":            keyRequest{},
		"APIKey":                reporting.APIKey{},
		"FrequencyCap":          frequencyCap{},
	} {
		def, ok := s.Components["schemas"][schema].(map[string]any)
		if !ok {
			t.Errorf("api/openapi.yaml: components.schemas.%s is missing", schema)
			continue
		}
		props, _ := def["properties"].(map[string]any)
		documented := sortedKeys(props)
		fields := jsonFields(reflect.TypeOf(v))
		for _, f := range fields {
			if !slices.Contains(documented, f) {
				t.Errorf("api/openapi.yaml: components.schemas.%s lacks field %q of %T", schema, f, v)
			}
		}
		for _, f := range documented {
			if !slices.Contains(fields, f) {
				t.Errorf("api/openapi.yaml: components.schemas.%s documents field %q, which %T does not have", schema, f, v)
			}
		}
	}
}

// TestOpenAPIServed checks that GET /openapi.yaml serves the embedded spec.
func TestOpenAPIServed(t *testing.T) {
	h := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), openAPISpec) {
		t.Errorf("GET /openapi.yaml = %d with %d bytes, want 200 with the %d bytes of api/openapi.yaml", w.Code, w.Body.Len(), len(openAPISpec))
	}
	if ct := w.Header().Get(echo.HeaderContentType); ct != "application/yaml" {
		t.Errorf("GET /openapi.yaml Content-Type = %q, want application/yaml", ct)
	}
}

// jsonFields lists the JSON field names encoding/json uses for struct type t.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// resolve follows v's $ref, if it has one.
func (s spec) resolve(t *testing.T, v any) any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return v
	}
	target, err := s.lookup(ref)
	if err != nil {
		t.Error(err)
	}
	return target
}

// lookup returns what the local reference ref ("#/a/b") points at.
func (s spec) lookup(ref string) (any, error) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not a local reference (#/...)", ref)
	}
	var v any = s.raw
	for _, part := range strings.Split(pointer, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		if v, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve: no %q", ref, part)
		}
	}
	return v, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
