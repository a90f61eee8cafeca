package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// closedWithin waits for the server to close conn, reading and dropping
// whatever it answers first, and returns how long that took; it fails the
// test when conn is still open after limit.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(limit))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("the server kept the connection open for %v: %v", limit, err)
	}
	return time.Since(start)
}

// TestServerCutsSlowAndIdleConnections checks the API's timeouts over
// real connections: a body that never finishes arriving and an idle
// kept-alive connection are closed once their time is up, while the bulk
// routes (imports, batches), which extend their own deadlines, may take
// longer than the read timeout.
func TestServerCutsSlowAndIdleConnections(t *testing.T) {
	timeouts := httpTimeouts{Read: 300 * time.Millisecond, Write: 2 * time.Second, Idle: 300 * time.Millisecond, Bulk: time.Minute}
	s := startStack(t, func(c *config) { c.HTTP = timeouts })
	addr := strings.TrimPrefix(s.base, "http://")
	const limit = 10 * time.Second // far beyond the timeouts, far below for ever

	t.Run("slow body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"event_id\":", addr, testKey)
		took := closedWithin(t, conn, limit)
		t.Logf("a body 12 of 1000 bytes in was cut off after %v (read timeout %v)", took.Round(time.Millisecond), timeouts.Read)
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("healthz: %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
		}
		took := closedWithin(t, conn, limit)
		t.Logf("an idle kept-alive connection was closed after %v (idle timeout %v)", took.Round(time.Millisecond), timeouts.Idle)
	})

	// The bulk routes extend their own deadlines: a body slower than the
	// read timeout still arrives.
	s.mustCall("POST", "/v1/journeys", longJourney("slow", nil), 201, nil)
	for _, tt := range []struct {
		path, contentType string
		head, tail        string
		row               func(i int) string
		want              string
	}{
		{"/v1/journeys/slow/imports", "text/csv", "user_id,email\n", "",
			func(i int) string { return fmt.Sprintf("slow-i%d,slow-i%d@example.com\n", i, i) }, `"total":5`},
		{"/v1/journeys/slow/enrollments/batch", "application/json", `{"user_ids": ["slow-b"`, "]}",
			func(i int) string { return fmt.Sprintf(`, "slow-b%d"`, i) }, `"slow-b4"`},
		{"/v1/events/batch", "application/json", `{"events": [{"event_id": "e", "user_id": "u", "name": "page_view"}`, "]}",
			func(i int) string {
				return fmt.Sprintf(`, {"event_id": "e%d", "user_id": "u%d", "name": "page_view"}`, i, i)
			}, `"e4"`},
	} {
		t.Run("slow body on "+tt.path, func(t *testing.T) {
			body, w := io.Pipe()
			go func() {
				io.WriteString(w, tt.head)
				for i := range 5 { // 1.5 s in all: five read timeouts
					time.Sleep(timeouts.Read)
					io.WriteString(w, tt.row(i))
				}
				io.WriteString(w, tt.tail)
				w.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, s.base+tt.path, body)
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("a body slower than the read timeout was cut off: %v", err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 != 2 || !strings.Contains(string(raw), tt.want) {
				t.Errorf("%d %s, want it taken (%s)", resp.StatusCode, raw, tt.want)
			}
		})
	}
}
