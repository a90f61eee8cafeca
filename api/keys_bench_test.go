package api_test

import (
	"strings"
	"testing"

	"journeys/api"
)

// BenchmarkWrongKeys times the answer to keys of every shape, so that one
// can see that a key that is nearly right is refused no faster or slower
// than one that is nothing like it: the key is hashed before it is looked
// up, and the hash, not the key, is compared.
//
//	go test -run '^$' -bench WrongKeys -benchtime 2000x ./api/
func BenchmarkWrongKeys(b *testing.B) {
	h := newHarness(b, func(c *api.Config) { c.FailedKeysBurst = 1 << 30 })
	key := h.createWorkspace("shop-b")
	flip := []byte(key)
	flip[len(flip)-1] ^= 1
	for _, c := range []struct{ name, auth string }{
		{"right key", "Bearer " + key},
		{"last character flipped", "Bearer " + string(flip)},
		{"first character flipped", "Bearer " + "k" + key[1:]},
		{"right prefix, random", "Bearer jk_" + strings.Repeat("A", 43)},
		{"short", "Bearer x"},
		{"default key flipped", "Bearer " + testKey[:len(testKey)-1] + "!"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				h.doWith(c.auth, "GET", "/v1/journey-types", nil)
			}
		})
	}
}
