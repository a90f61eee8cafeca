package processtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// api calls the API of a deployment with its key.
type api struct {
	t    *testing.T
	base string
}

// call sends a request and decodes the JSON answer into out, failing the
// test unless the status is want.
func (a api) call(method, path string, body, out any, want int) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		a.t.Fatalf("%s %s = %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// users saves n users, u0 to u<n-1>, with a push token, a few at a time,
// and returns their ids.
func (a api) users(n int) []string {
	a.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%d", i)
	}
	var wg sync.WaitGroup
	next := make(chan string)
	for range 8 {
		wg.Go(func() {
			for id := range next {
				a.call("PUT", "/v1/users/"+id, map[string]any{"push_token": "tok-" + id}, nil, http.StatusOK)
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return ids
}

// enroll enrolls users in journey in one batch, failing unless every one
// of them was enrolled.
func (a api) enroll(journey string, users []string) {
	a.t.Helper()
	var out struct {
		Results []struct {
			UserID  string `json:"user_id"`
			Outcome string `json:"outcome"`
			Error   string `json:"error"`
		} `json:"results"`
	}
	a.call("POST", "/v1/journeys/"+journey+"/enrollments/batch", map[string]any{"user_ids": users}, &out, http.StatusOK)
	enrolled := 0
	for _, r := range out.Results {
		if r.Outcome == "enrolled" {
			enrolled++
		}
	}
	if enrolled != len(users) {
		a.t.Fatalf("enrolled %d of %d users in %s: %+v", enrolled, len(users), journey, out.Results)
	}
}

// cartJourney creates a cart-abandonment journey of touches, each after
// wait, on the channels named.
func (a api) cartJourney(id, wait string, channels ...string) {
	a.t.Helper()
	var touches []map[string]string
	for _, c := range channels {
		touches = append(touches, map[string]string{"after": wait, "channel": c, "template": "cart_offer"})
	}
	a.call("POST", "/v1/journeys", map[string]any{
		"id": id, "name": id, "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{"touches": touches, "final_wait": wait},
	}, nil, http.StatusCreated)
}
