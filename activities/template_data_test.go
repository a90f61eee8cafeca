package activities

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"journeys/reporting"
)

func TestUserDataCut(t *testing.T) {
	long := strings.Repeat("é", maxAttributeText) // two bytes a character
	items := make([]any, 3*maxListItems)
	for i := range items {
		items[i] = map[string]any{"id": i, "tags": []any{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}}
	}
	prefs := map[string]any{}
	for i := range 150 {
		prefs[fmt.Sprintf("k%03d", i)] = true
	}
	raw, err := json.Marshal(map[string]any{"bio": long, "items": items, "prefs": prefs, "name": "Sara"})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := userData(reporting.User{Attributes: raw})
	if err != nil {
		t.Fatal(err)
	}

	if bio := attrs["bio"].(string); len(bio) != maxAttributeText || !strings.HasPrefix(long, bio) {
		t.Errorf("bio is %d bytes, want the first %d, on a whole character", len(bio), maxAttributeText)
	}
	if attrs["name"] != "Sara" {
		t.Errorf("name = %v, want it whole", attrs["name"])
	}
	// Breadth first in key order: items gets 100, its 100 maps 2 keys
	// each, then prefs 100; the 600 items left go to the first tags lists.
	got := attrs["items"].([]any)
	if len(got) != maxListItems {
		t.Fatalf("items has %d, want %d", len(got), maxListItems)
	}
	p := attrs["prefs"].(map[string]any)
	if _, ok := p["k099"]; len(p) != maxListItems || !ok {
		t.Errorf("prefs has %d keys, want the first %d in key order", len(p), maxListItems)
	}
	total := len(got) + 2*len(got) + len(p)
	for i, item := range got {
		m := item.(map[string]any)
		tags := m["tags"].([]any)
		total += len(tags)
		want := 10
		if i >= 60 {
			want = 0
		}
		if m["id"] != float64(i) || len(tags) != want {
			t.Errorf("items[%d] = %v with %d tags, want id %d with %d", i, m["id"], len(tags), i, want)
		}
	}
	if total != maxTemplateItems {
		t.Errorf("%d items in all, want %d", total, maxTemplateItems)
	}
}

func TestUserDataNull(t *testing.T) {
	for _, raw := range []string{"", "null", "{}"} {
		attrs, err := userData(reporting.User{Attributes: json.RawMessage(raw)})
		if err != nil || attrs == nil || len(attrs) != 0 {
			t.Errorf("attributes %q = %v, %v; want an empty map", raw, attrs, err)
		}
	}
}
