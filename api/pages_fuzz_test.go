package api_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"journeys/channels"
	"journeys/reporting"
)

// The fuzz targets below cover what the service decodes besides JSON
// bodies: audience files, query parameters, and the forms and links people
// use in a browser (login, one-click unsubscribe).

func FuzzImports(f *testing.F) {
	h, tick := fuzzHarness(f)
	files := []string{
		"user_id\nu1\nu2\n",
		"\ufeffuser_id,email,phone,push_token,timezone,locale,plan\nu1,a@b.co,+989121234567,t,Asia/Tehran,fa-IR,gold\n",
		"user_id,\"note, quoted\"\nu1,\"he said \"\"hi\"\"\"\n",
		"user_id\r\nu1\r\n", "user_id\n", "", "email\na@b.co\n", "user_id,user_id\nu1,u2\n",
		"user_id,email\nu1\n", "user_id\n\"u1\n", "user_id\nu\x00\n", "user_id\nu\xff\n",
		"user_id,email\nu1,not-an-email\n", "user_id,timezone\nu1,Mars/Base\n",
		"user_id\n" + strings.Repeat("u", 200) + "\n", "user_id,x\nu1," + strings.Repeat("x", 70<<10) + "\n",
		"user_id," + strings.Repeat("c,", 300) + "c\nu1\n",
	}
	for _, file := range files {
		f.Add("cart", []byte(file))
	}
	f.Add("nope", []byte("user_id\nu1\n"))
	f.Add("c\x00", []byte("user_id\nu1\n"))
	f.Fuzz(func(t *testing.T, journeyID string, file []byte) {
		tick(t)
		h.checkAnswerAs(t, "POST", "/v1/journeys/"+url.PathEscape(journeyID)+"/imports", "text/csv", file)
	})
}

func FuzzQueries(f *testing.F) {
	h, tick := fuzzHarness(f)
	for _, q := range []string{
		"", "from=2026-01-01&to=2026-02-01", "from=2026-02-01&to=2026-01-01", "from=9999-12-31", "to=0001-01-01",
		"from=2026-01-01T00:00:00Z", "from=x", "from=2026-13-45", "from=%00", "from=%ff", "to=" + strings.Repeat("9", 400),
		"from=2026-01-01&from=2026-01-02", "limit=-1", "limit=1e9", "cursor=%ff",
		"version=1", "version=0", "version=-1", "version=2", "version=x", "version=" + strings.Repeat("9", 30), "version=1&version=2",
	} {
		for _, route := range []int{0, 1, 2, 3} {
			f.Add(route, "cart", q)
		}
	}
	f.Add(0, "nope", "")
	f.Add(2, "u\x00", "")
	f.Fuzz(func(t *testing.T, route int, id, query string) {
		tick(t)
		paths := []string{"/v1/journeys/%s/report", "/v1/journeys/%s", "/v1/users/%s/enrollments", "/v1/journeys"}
		target := fmt.Sprintf(paths[uint(route)%uint(len(paths))], url.PathEscape(id)) + "?" + query
		if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"))); err != nil {
			return // no client can send it: the server's own parser refuses it first
		}
		h.checkAnswerAs(t, "GET", target, "", nil)
	})
}

func FuzzLogin(f *testing.F) {
	h, tick := fuzzHarness(f)
	for _, form := range []string{
		"key=" + testKey + "&next=/journeys/cart", "key=" + testKey + "&next=/%09/evil.example", "key=wrong",
		"key=", "", "key=%zz", "key=" + testKey + "&key=x", "next=//evil.example", strings.Repeat("key=x&", 3000),
		"key=\x00", "key=%00", "key=%ff%fe",
	} {
		f.Add("application/x-www-form-urlencoded", form)
	}
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n"+testKey+"\r\n--x--\r\n")
	f.Add("text/plain", "key="+testKey)
	addresses := 0
	f.Fuzz(func(t *testing.T, contentType, form string) {
		tick(t)
		h := h.with(t)
		before := h.snapshot()
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form))
		req.Header.Set("Content-Type", contentType)
		// A fresh address for every input: wrong keys are held back per
		// address, and the fuzzer is to reach the form, not the limiter.
		addresses++
		req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4000", addresses>>16&255, addresses>>8&255, addresses&255)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST /login %q as %q = %d %s", clipped([]byte(form)), contentType, rec.Code, rec.Body)
		}
		if loggedIn := rec.Code == 303 && strings.Contains(rec.Header().Get("Set-Cookie"), "="); !loggedIn && h.snapshot() != before {
			t.Fatalf("POST /login %q = %d, yet it stored something", clipped([]byte(form)), rec.Code)
		}
		if next := rec.Header().Get("Location"); next != "" && (!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\t\r\n")) {
			t.Fatalf("POST /login %q redirects to %q, not a local path", clipped([]byte(form)), next)
		}
	})
}

func FuzzUnsubscribe(f *testing.F) {
	h, tick := fuzzHarness(f)
	valid := channels.UnsubscribeToken(h.secret, reporting.DefaultWorkspace, "u1", channels.Email)
	for _, token := range []string{valid, valid + "x", valid[:len(valid)/2], "", "x", "..", "%00", strings.Repeat("a", 5000),
		channels.UnsubscribeToken([]byte("another secret"), reporting.DefaultWorkspace, "u1", channels.Email), channels.UnsubscribeToken(h.secret, reporting.DefaultWorkspace, "nobody", channels.Push)} {
		f.Add(token, []byte("List-Unsubscribe=One-Click"))
		f.Add(token, []byte(""))
	}
	f.Fuzz(func(t *testing.T, token string, body []byte) {
		tick(t)
		h := h.with(t)
		before := h.snapshot()
		req := httptest.NewRequest("POST", "/unsubscribe/"+url.PathEscape(token), strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST /unsubscribe/%q = %d %s", token, rec.Code, rec.Body)
		}
		if rec.Code != 200 && h.snapshot() != before {
			t.Fatalf("POST /unsubscribe/%q = %d, yet it stored something", token, rec.Code)
		}
	})
}
