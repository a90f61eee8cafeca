package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"journeys/api"
)

// workspaceKeys is what the back office got for a workspace.
type workspaceKeys struct {
	ID     string `json:"id"`
	APIKey string `json:"api_key"`
}

// createWorkspace creates workspace id with the admin key and returns its
// first key.
func (h *harness) createWorkspace(id string) string {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "name": "App " + id})
	status, raw := h.doWith("Bearer "+testAdminKey, "POST", "/v1/workspaces", body)
	if status != http.StatusCreated {
		h.t.Fatalf("POST /v1/workspaces %s = %d %s, want 201", id, status, raw)
	}
	var w workspaceKeys
	if err := json.Unmarshal(raw, &w); err != nil {
		h.t.Fatal(err)
	}
	if w.ID != id || !strings.HasPrefix(w.APIKey, "jk_") || len(w.APIKey) != 3+43 {
		h.t.Fatalf("created workspace = %+v, want id %s and a jk_ key of 46 characters", w, id)
	}
	return w.APIKey
}

// as sends a request with key and returns the status and body.
func (h *harness) as(key, method, path string, body any) (int, string) {
	h.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	status, resp := h.doWith("Bearer "+key, method, path, raw)
	return status, string(resp)
}

// TestWorkspaceKeys walks a workspace key's life: created with the
// workspace, opening that workspace only, listed without its secret,
// revoked at once, and never stored in plain text.
func TestWorkspaceKeys(t *testing.T) {
	h := newHarness(t)
	first := h.createWorkspace("shop-b")

	if status, body := h.as(first, "PUT", "/v1/users/u1", map[string]any{"email": "b@example.com"}); status != 200 {
		t.Fatalf("PUT user with the new key = %d %s, want 200", status, body)
	}
	// The same user id is another person in the default workspace.
	if status, body := h.as(testKey, "GET", "/v1/users/u1", nil); status != 404 {
		t.Errorf("GET u1 with the default workspace's key = %d %s, want 404", status, body)
	}
	if status, body := h.as(first, "GET", "/v1/users/u1", nil); status != 200 || !strings.Contains(body, "b@example.com") {
		t.Errorf("GET u1 with shop-b's key = %d %s, want 200 with its email", status, body)
	}

	status, body := h.as(testAdminKey, "POST", "/v1/workspaces/shop-b/keys", map[string]any{"name": "panel"})
	if status != 201 {
		t.Fatalf("POST keys = %d %s, want 201", status, body)
	}
	var second struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	json.Unmarshal([]byte(body), &second)

	status, body = h.as(testAdminKey, "GET", "/v1/workspaces/shop-b/keys", nil)
	var list struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil || len(list.Keys) != 2 {
		t.Fatalf("GET keys = %d %s, want 200 with two keys", status, body)
	}
	if strings.Contains(body, first) || strings.Contains(body, second.APIKey) || strings.Contains(body, "hash") {
		t.Errorf("GET keys shows a secret: %s", body)
	}
	firstID, _ := list.Keys[0]["id"].(string)

	if status, body := h.as(testAdminKey, "DELETE", "/v1/workspaces/shop-b/keys/"+firstID, nil); status != 200 || !strings.Contains(body, "revoked_at") {
		t.Fatalf("DELETE key = %d %s, want 200 with revoked_at", status, body)
	}
	if status, body := h.as(first, "GET", "/v1/users/u1", nil); status != 401 {
		t.Errorf("GET with the revoked key = %d %s, want 401", status, body)
	}
	if status, body := h.as(second.APIKey, "GET", "/v1/users/u1", nil); status != 200 {
		t.Errorf("GET with the other key = %d %s, want 200", status, body)
	}
	// A key of another workspace cannot be revoked through this one.
	if status, body := h.as(testAdminKey, "DELETE", "/v1/workspaces/default/keys/"+second.ID, nil); status != 404 {
		t.Errorf("DELETE shop-b's key under default = %d %s, want 404", status, body)
	}

	for _, key := range []string{first, second.APIKey} {
		if where := h.findText(key); len(where) > 0 {
			t.Errorf("key %s… is stored in plain text in %v", key[:8], where)
		}
	}
}

// findText returns the table.column of every text, bytea, jsonb or array
// column of every table that holds s anywhere in a row.
func (h *harness) findText(s string) []string {
	h.t.Helper()
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
		Type   string `db:"data_type"`
	}
	err := h.store.DB().Select(&cols, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'bytea', 'jsonb', 'json', 'ARRAY')`)
	if err != nil || len(cols) == 0 {
		h.t.Fatalf("list text columns: %d, %v", len(cols), err)
	}
	var found []string
	for _, c := range cols {
		cond := fmt.Sprintf(`strpos(%q::text, $1) > 0`, c.Column)
		if c.Type == "bytea" {
			cond = fmt.Sprintf(`position(convert_to($1, 'UTF8') in %q) > 0`, c.Column)
		}
		var n int
		if err := h.store.DB().Get(&n, fmt.Sprintf(`SELECT count(*) FROM %q WHERE %s`, c.Table, cond), s); err != nil {
			h.t.Fatalf("search %s.%s: %v", c.Table, c.Column, err)
		}
		if n > 0 {
			found = append(found, c.Table+"."+c.Column)
		}
	}
	return found
}

// TestWrongKeys sends keys of every shape to a workspace route and to the
// admin routes: each is 401 with the error shape, and none stores a thing.
func TestWrongKeys(t *testing.T) {
	// Enough tries that the limiter of wrong keys does not answer first.
	h := newHarness(t, func(c *api.Config) { c.FailedKeysBurst = 1000 })
	key := h.createWorkspace("shop-b")
	revoked := h.createWorkspace("shop-c")
	status, body := h.as(testAdminKey, "GET", "/v1/workspaces/shop-c/keys", nil)
	var list struct {
		Keys []struct{ ID string } `json:"keys"`
	}
	if json.Unmarshal([]byte(body), &list); status != 200 || len(list.Keys) != 1 {
		t.Fatalf("GET keys = %d %s", status, body)
	}
	if status, body := h.as(testAdminKey, "DELETE", "/v1/workspaces/shop-c/keys/"+list.Keys[0].ID, nil); status != 200 {
		t.Fatalf("revoke = %d %s", status, body)
	}

	before := h.snapshot()
	flip := []byte(key)
	flip[len(flip)-1] ^= 1
	wrong := map[string]string{
		"no header":                "",
		"empty bearer":             "Bearer ",
		"no scheme":                key,
		"basic scheme":             "Basic " + key,
		"short":                    "Bearer x",
		"the prefix alone":         "Bearer jk_",
		"a prefix of the key":      "Bearer " + key[:20],
		"the key and more":         "Bearer " + key + "x",
		"last character flipped":   "Bearer " + string(flip),
		"upper case":               "Bearer " + strings.ToUpper(key),
		"right prefix, random":     "Bearer jk_" + strings.Repeat("A", 43),
		"long":                     "Bearer " + strings.Repeat(key, 200),
		"revoked, other workspace": "Bearer " + revoked,
		"the admin key":            "Bearer " + testAdminKey,
		"the key with a NUL":       "Bearer " + key + "\x00",
	}
	for name, auth := range wrong {
		status, raw := h.doWith(auth, "GET", "/v1/journeys", nil)
		if status != 401 || !strings.Contains(string(raw), `"unauthorized"`) {
			t.Errorf("%s: GET /v1/journeys = %d %s, want 401 unauthorized", name, status, raw)
		}
	}
	for name, auth := range map[string]string{
		"a workspace key":  "Bearer " + key,
		"the default key":  "Bearer " + testKey,
		"admin key prefix": "Bearer " + testAdminKey[:5],
		"no header":        "",
	} {
		status, raw := h.doWith(auth, "GET", "/v1/workspaces", nil)
		if status != 401 || !strings.Contains(string(raw), `"unauthorized"`) {
			t.Errorf("%s: GET /v1/workspaces = %d %s, want 401 unauthorized", name, status, raw)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("wrong keys changed the database:\nbefore %s\nafter  %s", before, after)
	}

	// Without an admin key configured, the admin routes say so.
	closed := newHarness(t, func(c *api.Config) { c.AdminKey = "" })
	status, raw := closed.doWith("Bearer ", "GET", "/v1/workspaces", nil)
	if status != 401 || !strings.Contains(string(raw), "JOURNEYS_ADMIN_KEY") {
		t.Errorf("GET /v1/workspaces without an admin key configured = %d %s, want 401 naming JOURNEYS_ADMIN_KEY", status, raw)
	}
}
