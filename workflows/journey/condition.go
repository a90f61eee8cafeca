package journey

import (
	"errors"
	"fmt"

	"github.com/google/cel-go/cel"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
)

// Condition is a CEL expression (https://cel.dev) that decides a branch of
// a journey, such as `user.attributes.tier == "gold"`. It reads three
// variables: user (id, attributes, locale, timezone, unsubscribed, and
// contacts: which of email, sms, push and webhook the user can be reached
// on), event (the event that enrolled the user: name, properties,
// occurred_at) and journey (id, name, type, version). Conditions are
// checked when a journey is saved and evaluated inside the workflow: CEL
// has no side effects and no clock, so a replay evaluates them the same.
type Condition string

// JSONSchema describes a condition: a CEL expression in a string.
func (Condition) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "format": "cel", "maxLength": maxConditionLength,
		"examples": []any{`user.attributes.tier == "gold"`}}
}

// maxConditionLength bounds a condition's text.
const maxConditionLength = 2000

// conditionCost bounds the work of one evaluation, in CEL's cost units, so
// a condition that iterates over large attributes cannot stall a worker.
const conditionCost = 100_000

var celEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("user", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("journey", cel.MapType(cel.StringType, cel.DynType)),
		// Attributes arrive from JSON as doubles: let 30 and 30.0 compare.
		cel.CrossTypeNumericComparisons(true),
	)
	if err != nil {
		panic(err)
	}
	return env
}()

// compile checks the condition and returns it ready to evaluate.
func (c Condition) compile() (cel.Program, error) {
	if len(c) > maxConditionLength {
		return nil, fmt.Errorf("is longer than %d characters", maxConditionLength)
	}
	ast, iss := celEnv.Compile(string(c))
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if t := ast.OutputType(); t != cel.BoolType && t != cel.DynType {
		return nil, fmt.Errorf("is %s, not a true or false condition", t)
	}
	return celEnv.Program(ast, cel.CostLimit(conditionCost))
}

// Check reports a condition at field that does not compile or is not a
// true-or-false expression; an empty condition is fine.
func (c Condition) Check(field string) error {
	if c == "" {
		return nil
	}
	if _, err := c.compile(); err != nil {
		return Errorf(field, "%v", err)
	}
	return nil
}

// programs caches compiled conditions for the life of a run.
type programs map[Condition]cel.Program

// Check evaluates the condition for the user as their profile is now and
// reports whether it holds; an empty condition holds. A condition that
// fails to evaluate (it reads an attribute the user lacks, say) does not
// hold: write has(user.attributes.tier) to test for one.
func (j *Run) Check(c Condition) bool {
	ok, _ := j.evaluate(c)
	return ok
}

// evaluate is Check with the reason a condition did not evaluate.
func (j *Run) evaluate(c Condition) (bool, error) {
	if c == "" {
		return true, nil
	}
	if j.programs == nil {
		j.programs = programs{}
	}
	prg, ok := j.programs[c]
	if !ok {
		var err error
		if prg, err = c.compile(); err != nil {
			return false, err
		}
		j.programs[c] = prg
	}
	out, _, err := prg.Eval(j.activation(j.Profile()))
	if err != nil {
		workflow.GetLogger(j.ctx).Warn("condition did not evaluate", "condition", string(c), "error", err)
		return false, err
	}
	held, isBool := out.Value().(bool)
	if !isBool {
		return false, errors.New("the condition is not true or false for this user")
	}
	return held, nil
}

// activation is what a condition reads.
func (j *Run) activation(p activities.Profile) map[string]any {
	event := map[string]any{}
	if t := j.in.Trigger; t != nil {
		props := t.Properties
		if props == nil {
			props = map[string]any{}
		}
		event = map[string]any{"name": t.Name, "properties": props, "occurred_at": t.OccurredAt}
	}
	return map[string]any{
		"user":    p.Map(),
		"event":   event,
		"journey": map[string]any{"id": j.in.JourneyID, "name": j.in.JourneyName, "type": j.in.JourneyType, "version": j.version},
	}
}
