package journey

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
)

// Profile reads the user's profile as it is now: attributes, locale,
// timezone, the channels they opted out of, and which channels reach them
// (never the addresses themselves, which stay out of the run's history).
func (j *Run) Profile() activities.Profile {
	ctx := workflow.WithLocalActivityOptions(j.ctx, bookkeeping("read profile"))
	var p activities.Profile
	err := workflow.ExecuteLocalActivity(ctx, a.Profile, activities.ProfileInput{UserID: j.in.UserID}).Get(ctx, &p)
	if err != nil {
		// Only a cancelled run gets here: bookkeeping retries until it
		// succeeds.
		workflow.GetLogger(j.ctx).Warn("read profile", "error", err)
	}
	return p
}

// UpdateProfile sets attributes on the user's profile, such as a tier the
// journey decided, and notes it in the run's timeline. Other attributes
// stay as they are.
func (j *Run) UpdateProfile(id string, attrs map[string]any) {
	if j.drain(); j.end != nil || len(attrs) == 0 {
		return
	}
	j.nextStep(id)
	keys := slices.Sorted(maps.Keys(attrs))
	rec := j.entry(id, reporting.KindProfileUpdated, "", "", "set "+strings.Join(keys, ", "))
	ctx := workflow.WithLocalActivityOptions(j.ctx, bookkeeping("update profile"))
	in := activities.UpdateProfileInput{RecordInput: rec, Set: attrs}
	_ = workflow.ExecuteLocalActivity(ctx, a.UpdateProfile, in).Get(ctx, nil)
	j.describe("set " + strings.Join(keys, ", "))
}

// record notes a step in the run's reporting log.
func (j *Run) record(rec activities.RecordInput) {
	ctx := workflow.WithLocalActivityOptions(j.ctx, bookkeeping("record "+rec.Kind))
	_ = workflow.ExecuteLocalActivity(ctx, a.Record, rec).Get(ctx, nil)
}

// entry starts the log entry of the current step.
func (j *Run) entry(stepID, kind, channel, template, detail string) activities.RecordInput {
	return activities.RecordInput{
		EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
		Step: j.seq, StepID: stepID, Kind: kind, Channel: channel, Template: template, Detail: detail,
		Version: j.version, At: j.now(),
	}
}

// bookkeeping is how the kit runs its own reads and writes of Postgres:
// local activities, which cost the run no task of its own, retried until
// Postgres takes them so that an outage delays the run rather than losing
// a line.
func bookkeeping(summary string) workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
		Summary:             summary,
	}
}

// Arm is one arm of a variant: its name, recorded in the timeline and the
// JourneyVariant search attribute, and its share of users.
type Arm struct {
	Name   string `json:"name" doc:"The arm's name in timelines and reports: lower-case letters, digits, _ and -."`
	Weight int    `json:"weight" doc:"The arm's share of users, against the other arms' weights (0 to 1000)."`
}

// ArmName returns the arm's name.
func (a Arm) ArmName() string { return a.Name }

// ArmWeight returns the arm's weight.
func (a Arm) ArmWeight() int { return a.Weight }

// Armed is an arm of a variant: Arm, or a config type that embeds it and
// adds what the arm does.
type Armed interface {
	ArmName() string
	ArmWeight() int
}

// ArmNames lists the arms' names, in order.
func ArmNames[A Armed](arms []A) []string {
	out := make([]string, len(arms))
	for i, arm := range arms {
		out[i] = arm.ArmName()
	}
	return out
}

// CheckArms reports arms at field that cannot split users: none, a name
// that is empty or used twice, a weight that is negative, or weights that
// add up to nothing. An arm with a Check(field string) error method, for
// what it does besides splitting users, is checked with it too.
func CheckArms[A Armed](field string, arms []A) error {
	if len(arms) < 2 || len(arms) > 10 {
		return Errorf(field, "must list 2 to 10 arms")
	}
	total := 0
	names := map[string]bool{}
	for i, arm := range arms {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch name := arm.ArmName(); {
		case !stepID.MatchString(name):
			return Errorf(f+".name", "%q must be 1 to 64 lower-case letters, digits, _ or -", name)
		case names[name]:
			return Errorf(f+".name", "%q names another arm too", name)
		default:
			names[name] = true
		}
		if w := arm.ArmWeight(); w < 0 || w > 1000 {
			return Errorf(f+".weight", "must be between 0 and 1000, not %d", w)
		}
		if c, ok := any(arm).(interface{ Check(string) error }); ok {
			if err := c.Check(f); err != nil {
				return err
			}
		}
		total += arm.ArmWeight()
	}
	if total == 0 {
		return Errorf(field, "weights add up to 0; give at least one arm a positive weight")
	}
	return nil
}

// Variant assigns the user to one of arms, in proportion to their weights,
// and returns it. The choice is a hash of the workspace, journey, variant
// name and user, so it is the same on every replay and when the user enters
// the journey again. It is recorded in the timeline (kind variant) and in
// the JourneyVariant search attribute.
func Variant[A Armed](j *Run, name string, arms []A) A {
	arm := Assign(j.in, name, arms)
	if j.drain(); j.end != nil {
		return arm
	}
	j.nextStep(name)
	choice := name + "=" + arm.ArmName()
	j.state.Variants = append(j.state.Variants, choice)
	j.upsert(JourneyVariantKey.ValueSet(j.state.Variants))
	j.record(j.entry(name, reporting.KindVariant, "", "", arm.ArmName()))
	j.describe("variant " + choice)
	return arm
}

// Assign returns the arm of the variant name that the run's user falls in,
// in proportion to the arms' weights: a hash of the workspace, the
// journey, the variant and the user, so every run of the same user in the
// journey gets the same arm. The default workspace's runs hash without
// it, as runs did before workspaces, so that their replays and the users
// who enter again choose the arms they chose. Variant assigns and records;
// Assign only says.
func Assign[A Armed](in Input, name string, arms []A) A {
	total := 0
	for _, arm := range arms {
		total += max(arm.ArmWeight(), 0)
	}
	if total == 0 {
		return arms[0]
	}
	h := stableHash(in.JourneyID, name, in.UserID)
	if in.Workspace != "" && in.Workspace != reporting.DefaultWorkspace {

		h = stableHash(in.Workspace, in.JourneyID, name, in.UserID)
	}
	point := int(h % uint64(total))
	for _, arm := range arms {
		if point -= max(arm.ArmWeight(), 0); point < 0 {
			return arm
		}
	}
	return arms[len(arms)-1]
}
