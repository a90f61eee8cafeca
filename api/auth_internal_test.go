package api

import (
	"testing"
	"time"
)

func TestKeyCache(t *testing.T) {
	c := newKeyCache(time.Hour)
	a, b := hashKey("jk_a"), hashKey("jk_b")

	_, gen, ok := c.get(a)
	if ok {
		t.Fatal("an empty cache knows a key")
	}
	c.put(a, "shop-a", gen)
	if ws, _, ok := c.get(a); !ok || ws != "shop-a" {
		t.Errorf("get after put = %q, %v; want shop-a", ws, ok)
	}

	// A lookup that began before a revocation must not put the revoked
	// key back.
	_, gen, _ = c.get(b)
	c.forget()
	c.put(b, "shop-b", gen)
	if _, _, ok := c.get(b); ok {
		t.Error("a key looked up before the cache was emptied was kept")
	}
	if _, _, ok := c.get(a); ok {
		t.Error("forget kept a key")
	}

	short := newKeyCache(time.Nanosecond)
	_, gen, _ = short.get(a)
	short.put(a, "shop-a", gen)
	time.Sleep(time.Millisecond)
	if _, _, ok := short.get(a); ok {
		t.Error("an expired key was kept")
	}
}
