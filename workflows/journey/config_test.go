package journey_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"journeys/reporting"
	"journeys/workflows/journey"
	"journeys/workflows/journey/kittest"
)

// versioned is a test config whose runs may keep their version.
type versioned struct {
	Template string `json:"template"`
	Pin      bool   `json:"pin"`
}

func (*versioned) Defaults()       {}
func (*versioned) Validate() error { return nil }
func (c *versioned) Pinned() bool  { return c.Pin }

func TestPinnedConfigKeepsItsVersion(t *testing.T) {
	for _, pin := range []bool{false, true} {
		t.Run(fmt.Sprintf("pinned %v", pin), func(t *testing.T) {
			// Three sends a day apart; the journey changes between the first
			// two, and the second send's answer brings the change to the run.
			wf := func(ctx workflow.Context, in journey.Input) (journey.Result, error) {
				j, cfg, err := journey.Start[versioned](ctx, in)
				if err != nil {
					return journey.Result{}, err
				}
				for i := 1; i <= 3; i++ {
					if j.WaitForGoal(day) {
						return j.Converted()
					}
					j.Send(push(fmt.Sprintf("send-%d", i), cfg.Template), journey.Offer{})
				}
				return j.Exit("done")
			}
			v1 := fmt.Sprintf(`{"template":"v1","pin":%v}`, pin)
			var mu sync.Mutex
			current := reporting.Journey{ID: "j1", Status: reporting.JourneyActive, Version: 1, Config: json.RawMessage(v1)}
			store := kittest.NewStore(sara)
			store.JourneyFn = func() reporting.Journey { mu.Lock(); defer mu.Unlock(); return current }
			change := kittest.Do(36*time.Hour, func() {
				mu.Lock()
				defer mu.Unlock()
				current.Version, current.Config = 2, json.RawMessage(fmt.Sprintf(`{"template":"v2","pin":%v}`, pin))
			})

			out := kittest.Journey{Workflow: wf, Config: v1, Profile: sara, Store: store, Script: []kittest.At{change}}.Run(t)

			var got []string
			for _, e := range out.Store.Entries() {
				if e.Kind == reporting.KindSent {
					got = append(got, fmt.Sprintf("%s@%d", e.Template, e.Version))
				}
			}
			want := []string{"v1@1", "v1@1", "v2@2"}
			if pin {
				want = []string{"v1@1", "v1@1", "v1@1"}
			}
			if !slices.Equal(got, want) {
				t.Errorf("sent (template@version) %v, want %v", got, want)
			}
			if wantVersion := map[bool]int{false: 2, true: 1}[pin]; out.State.Version != wantVersion {
				t.Errorf("state version = %d, want %d", out.State.Version, wantVersion)
			}
		})
	}
}

// nested is a test config whose list items embed another struct, as
// touches embed their message.
type nested struct {
	Items []struct {
		journey.Arm
		Next string `json:"next"`
	} `json:"items"`
}

func (*nested) Defaults()       {}
func (*nested) Validate() error { return nil }

func TestDecodeErrorsNameTheSetting(t *testing.T) {
	for raw, want := range map[string]string{
		`{"items": [{"name": "a", "weight": "half"}]}`: "items.weight",
		`{"items": [{"name": "a", "next": 5}]}`:        "items.next",
		`{"items": [{"name": "a", "colour": 5}]}`:      "colour",
		`{"items": 5}`: "items",
	} {
		_, err := journey.ParseConfig[nested](json.RawMessage(raw))
		var cerr *journey.ConfigError
		if !errors.As(err, &cerr) || cerr.Field != want {
			t.Errorf("%s: error %v, want one naming %s", raw, err, want)
		}
	}
	var part struct {
		Weight int `json:"weight"`
	}
	err := journey.Decode([]byte(`{"weight": "half"}`), &part, "nodes.split1")
	if cerr, ok := err.(*journey.ConfigError); !ok || cerr.Field != "nodes.split1.weight" || cerr.Message != "must be a number, not string" {
		t.Errorf("Decode under a field: %v, want nodes.split1.weight: must be a number, not string", err)
	}
}
