// Package workflows holds the journey types, one per file, each written on
// the journey kit (workflows/journey), and the background jobs over a
// journey's audience. Everything here is workflow code: deterministic,
// with every side effect in an activity.
package workflows

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows/journey"
	"journeys/workflows/kitv1"
)

// Type is a journey type: the workflow that runs it, how it reads its
// config, and what the service around the run needs to know of a config.
type Type struct {
	// Name is the type's name in the API, such as cart_abandonment.
	Name string
	// Workflow is the workflow type registered with Temporal.
	Workflow string
	// Description says what the type is for, for the panel.
	Description string
	// Config validates a config, fills in its defaults and returns it as
	// runs receive it. Errors are *journey.ConfigError naming the field.
	Config func(raw json.RawMessage) (json.RawMessage, error)
	// Plan reads what a valid config asks of the service.
	Plan func(raw json.RawMessage) Plan
	run  journey.Workflow
	// config is the Go type of the type's config.
	config reflect.Type
}

// Schema returns the JSON Schema of the type's config, titled with the
// type's name and description, with the default config as its default.
func (t Type) Schema() map[string]any {
	s := journey.Schema(t.config)
	s["title"], s["description"] = t.Name, t.Description
	if def, err := t.Config(nil); err == nil {
		s["default"] = def
	}
	return s
}

// Plan is what a journey config asks of the service around its runs.
type Plan struct {
	// Events are the events its runs wait for besides the goal and exit
	// events: routing brings them only to journeys that listen.
	Events []string
	// Templates are the templates it sends, which must exist.
	Templates []string
	// FirstWait is how long a run waits before its first step; Temporal
	// holds the run's first task that long.
	FirstWait time.Duration
	// SendWindow is the send window of the journeys of this type that set
	// none of their own; nil sends at any hour.
	SendWindow *reporting.SendWindow
	// Variants lists the arms of each variant its runs are assigned, by
	// variant name, in the config's order: reports compare the other arms
	// with the first.
	Variants map[string][]string
}

// Listener is a config whose runs wait for events besides the goal and
// exit events.
type Listener interface {
	Events() []string
}

// Waiter is a config whose runs start with a wait.
type Waiter interface {
	FirstWait() time.Duration
}

// Windowed is a config whose sends belong in waking hours even when its
// journey sets no send window: it gives the window they wait for then.
type Windowed interface {
	SendWindow() reporting.SendWindow
}

// Varied is a config whose runs are assigned variants (journey.Variant).
type Varied interface {
	Variants() map[string][]string
}

// types maps the type names the API accepts to journey types.
var types = byName(
	newType[CartAbandonmentConfig]("cart_abandonment", "CartAbandonment",
		"Wins back a user who left items in the cart: touches after waits, each racing a purchase.", CartAbandonment),
	newType[FlowConfig]("flow", "Flow",
		"A journey built in the panel as a graph of steps: waits, events, conditions, splits, sends, profile updates and exits.", Flow),
	newType[WelcomeSeriesConfig]("welcome_series", "WelcomeSeries",
		"Welcomes a user who signed up: a welcome at once, then tips for those who activate and a reminder with an offer for those who do not, racing a first purchase.", WelcomeSeries),
	newType[WinbackConfig]("winback", "Winback",
		"Brings back lapsed users from an imported audience: an A/B-tested discount, bigger on a VIP path chosen by a condition, and a reminder, in waking hours.", Winback),
)

func byName(ts ...Type) map[string]Type {
	out := make(map[string]Type, len(ts))
	for _, t := range ts {
		out[t.Name] = t
	}
	return out
}

// newType describes a journey type written on the kit, whose config is a C.
func newType[C any, P journey.ConfigPtr[C]](name, workflowName, description string, run journey.Workflow) Type {
	return Type{
		Name: name, Workflow: workflowName, Description: description,
		Config: func(raw json.RawMessage) (json.RawMessage, error) {
			c, err := journey.ParseConfig[C, P](raw)
			if err != nil {
				return nil, err
			}
			return json.Marshal(c)
		},
		Plan: func(raw json.RawMessage) Plan {
			c, err := journey.ParseConfig[C, P](raw)
			if err != nil {
				return Plan{}
			}
			var p Plan
			if l, ok := any(&c).(Listener); ok {
				p.Events = l.Events()
			}
			if w, ok := any(&c).(Waiter); ok {
				p.FirstWait = w.FirstWait()
			}
			if w, ok := any(&c).(Windowed); ok {
				window := w.SendWindow()
				p.SendWindow = &window
			}
			if v, ok := any(&c).(Varied); ok {
				p.Variants = v.Variants()
			}
			p.Templates = templates(reflect.ValueOf(c))
			return p
		},
		run:    run,
		config: reflect.TypeFor[C](),
	}
}

// templates lists the templates of every journey.Message in v, sorted and
// each once.
func templates(v reflect.Value) []string {
	var out []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k))
			}
		case reflect.Struct:
			if m, ok := v.Interface().(journey.Message); ok && m.Template != "" {
				out = append(out, m.Template)
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(v)
	slices.Sort(out)
	return slices.Compact(out)
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
// jobs' workflows (the sweep of closed runs among them), on r. Runs started
// on the first kit go on running on it. The sends on the limited channels,
// which the deployment holds to a provider's rate, go on their channel's
// task queue (journey.WithRates).
func Register(r Registry, limited ...channels.Channel) {
	for _, t := range types {
		run := journey.WithRates(journey.FailOnError(t.run), limited)
		if t.Workflow == kitv1.Workflow {
			run = onKitOf(run)
		}
		r.RegisterWorkflowWithOptions(run, workflow.RegisterOptions{Name: t.Workflow})
	}
	r.RegisterWorkflowWithOptions(ImportAudience, workflow.RegisterOptions{Name: "ImportAudience"})
	r.RegisterWorkflowWithOptions(Broadcast, workflow.RegisterOptions{Name: "Broadcast"})
	r.RegisterWorkflowWithOptions(SweepClosedRuns, workflow.RegisterOptions{Name: "SweepClosedRuns"})
}

// onKitOf runs a cart-abandonment run on the kit it started with: runs
// started before the journey kit gained step ids stay on the first kit.
func onKitOf(run journey.Workflow) journey.Workflow {
	return func(ctx workflow.Context, in journey.Input) (journey.Result, error) {
		if in.Kit < journey.Kit2 {
			return kitv1.Run(ctx, in)
		}
		return run(ctx, in)
	}
}

// RunInput returns what the run of enrollment e of journey j, of type typ,
// starts with; trigger is the entry event that enrolled the user, or nil.
// The simulator starts its dry runs with it too, so that they run as the
// real ones do.
func RunInput(typ Type, j reporting.Journey, e reporting.Enrollment, trigger *journey.Event) journey.Input {
	window, _ := time.ParseDuration(j.ConversionWindow)
	return journey.Input{
		Kit: journey.Kit2, Workspace: e.Workspace,
		JourneyID: j.ID, JourneyName: j.Name, JourneyType: j.Type, UserID: e.UserID,
		EnrollmentID: e.ID, EnrolledAt: e.EnrolledAt, GoalEvent: j.GoalEvent,
		ExitEvents: j.ExitEvents, ConversionWindow: window, Trigger: trigger,
		Version: j.Version, Config: j.Config, Holdout: e.Holdout,
		SendWindow: cmp.Or(j.SendWindow, typ.Plan(j.Config).SendWindow), Transactional: j.Transactional,
		Match: e.MatchProperty, MatchValue: e.MatchValue, SendQueues: true, LocalSends: true,
		Changes: changes,
	}
}

// changes are the workflow.GetVersion changes of the journey types: runs
// starting now take every one of them (journey.Run.Changed).
var changes = []string{flowPathChange}

// CurrentChanges returns the workflow.GetVersion changes runs starting now
// take, as RunInput gives them (journey.Input.Changes).
func CurrentChanges() []string { return slices.Clone(changes) }
