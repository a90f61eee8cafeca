package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"journeys/channels/channelstest"
)

// testSecretKey seals workspaces' provider secrets in tests: 32 bytes, in
// base64.
const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// workspaceFakes are one workspace's own providers, each a local server
// speaking the provider's API.
type workspaceFakes struct {
	fcm     *channelstest.FCM
	mailbox *channelstest.Mailbox
	sms     *channelstest.Kavenegar
	hook    *channelstest.Webhook
}

// startWorkspaceFakes starts a workspace's fakes and sets them as its
// providers through PUT /v1/channels/{channel} with its key.
func startWorkspaceFakes(t *testing.T, s *stack, key, name string) *workspaceFakes {
	t.Helper()
	f := &workspaceFakes{fcm: channelstest.NewFCM(t), mailbox: &channelstest.Mailbox{}, sms: channelstest.NewKavenegar(t), hook: channelstest.NewWebhook(t, name+"-hook-secret")}
	smtpAddr, _ := channelstest.SMTPServer(t, f.mailbox, "plain")
	credentials, err := os.ReadFile(f.fcm.Credentials(t))
	if err != nil {
		t.Fatal(err)
	}
	for channel, body := range map[string]map[string]any{
		"push":    {"provider": "fcm", "settings": map[string]any{"credentials": string(credentials), "base_url": f.fcm.URL}},
		"email":   {"provider": "smtp", "settings": map[string]any{"url": "smtp://" + smtpAddr, "from": name + " <shop@" + name + ".test>"}},
		"sms":     {"provider": "kavenegar", "settings": map[string]any{"api_key": channelstest.KavenegarAPIKey, "sender": name + "-line", "base_url": f.sms.URL}},
		"webhook": {"provider": "webhook", "settings": map[string]any{"url": f.hook.URL + "/" + name, "secret": name + "-hook-secret"}},
	} {
		s.mustCallAs(key, "PUT", "/v1/channels/"+channel, body, 200, nil)
	}
	return f
}

// got sums up what each of a workspace's providers received, by address.
func (f *workspaceFakes) got() map[string][]string {
	out := map[string][]string{}
	for _, m := range f.fcm.Messages() {
		out["push"] = append(out["push"], m.Token)
	}
	for _, m := range f.mailbox.Mails() {
		out["email"] = append(out["email"], m.To...)
	}
	for _, m := range f.sms.Sent() {
		out["sms"] = append(out["sms"], m.Receptor+" from "+m.Sender)
	}
	for _, m := range f.hook.Received() {
		out["webhook"] = append(out["webhook"], m.To)
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// TestWorkspaceProvidersEndToEnd runs the same journey for the same user
// id in two workspaces with their own push, email, SMS and webhook
// providers, and in the default workspace, which has none: each
// workspace's messages reach its own providers only, and the default
// workspace's the environment's.
func TestWorkspaceProvidersEndToEnd(t *testing.T) {
	env, withFakes := startFakeProviders(t)
	s := startStack(t, withFakes, func(c *config) { c.AdminKey, c.SecretKey = testAdminKey, testSecretKey })
	keys := map[string]string{"default": testKey}
	for _, ws := range []map[string]string{{"id": "shop-a", "name": "Shop A", "phone_region": "IR"}, {"id": "shop-b", "name": "Shop B", "phone_region": "US"}} {
		var created struct {
			APIKey string `json:"api_key"`
		}
		s.mustCallAs(testAdminKey, "POST", "/v1/workspaces", ws, 201, &created)
		keys[ws["id"]] = created.APIKey
		// A new workspace has no templates: it puts its own copy.
		for _, id := range []string{"cart_offer", "cart_final_offer"} {
			s.mustCallAs(created.APIKey, "PUT", "/v1/templates/"+id, map[string]any{"locale": "en", "subject": ws["name"] + "'s offer", "body": ws["name"] + ": use {{.Offer.Code}}"}, 200, nil)
		}
	}
	fakes := map[string]*workspaceFakes{
		"shop-a": startWorkspaceFakes(t, s, keys["shop-a"], "shop-a"),
		"shop-b": startWorkspaceFakes(t, s, keys["shop-b"], "shop-b"),
	}
	var listed struct {
		Channels []struct{ Channel, Provider, Source string }
	}
	s.mustCallAs(keys["shop-a"], "GET", "/v1/channels", nil, 200, &listed)
	for _, c := range listed.Channels {
		if c.Source != "workspace" {
			t.Errorf("shop-a's %s uses %s from %s, want its own", c.Channel, c.Provider, c.Source)
		}
	}

	// The same journey id and user id in each workspace; phones saved in
	// each workspace's local form.
	phones := map[string]string{"default": "+989120000009", "shop-a": "09121234567", "shop-b": "(415) 555-2671"}
	for ws, key := range keys {
		s.mustCallAs(key, "POST", "/v1/journeys", map[string]any{
			"id": "cart", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase",
			"config": map[string]any{
				"touches": []map[string]string{
					{"after": "1s", "channel": "push", "template": "cart_offer"},
					{"after": "1s", "channel": "email", "template": "cart_offer"},
					{"after": "1s", "channel": "sms", "template": "cart_offer"},
					{"after": "1s", "channel": "webhook", "template": "cart_final_offer"},
				},
				"final_wait": "1s",
			},
		}, 201, nil)
		s.mustCallAs(key, "PUT", "/v1/users/u1", map[string]any{"email": "u1@" + ws + ".test", "phone": phones[ws], "push_token": "tok-" + ws, "locale": "en"}, 200, nil)
		s.mustCallAs(key, "POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u1"}, 202, nil)
	}
	for ws, key := range keys {
		e := s.waitForAs(key, "cart", "u1", ended)
		if got, want := e.story(), []string{"enrolled", "sent:push", "sent:email", "sent:sms", "sent:webhook", "exited"}; !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", ws, got, want)
		}
	}

	want := map[string]map[string][]string{
		"shop-a": {"push": {"tok-shop-a"}, "email": {"u1@shop-a.test"}, "sms": {"+989121234567 from shop-a-line"}, "webhook": {"u1"}},
		"shop-b": {"push": {"tok-shop-b"}, "email": {"u1@shop-b.test"}, "sms": {"+14155552671 from shop-b-line"}, "webhook": {"u1"}},
	}
	for ws, f := range fakes {
		if got := f.got(); !equalGot(got, want[ws]) {
			t.Errorf("%s's providers got %v, want %v", ws, got, want[ws])
		}
	}
	envGot := (&workspaceFakes{fcm: env.fcm, mailbox: env.mailbox, sms: env.sms, hook: env.hook}).got()
	if want := map[string][]string{"push": {"tok-default"}, "email": {"u1@default.test"}, "sms": {"+989120000009 from 10004346"}, "webhook": {"u1"}}; !equalGot(envGot, want) {
		t.Errorf("the environment's providers got %v, want the default workspace's messages alone: %v", envGot, want)
	}
	for _, m := range fakes["shop-a"].hook.Received() {
		if !strings.HasPrefix(m.Body, "Shop A: use CART-") {
			t.Errorf("shop-a's webhook message = %q, want shop-a's template with a code", m.Body)
		}
	}
}

func equalGot(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
