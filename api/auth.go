package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
)

// Keys. A workspace key is keyPrefix and 32 random bytes in base64url; the
// store keeps its SHA-256 only. JOURNEYS_API_KEY, from before workspaces,
// stays the default workspace's key and is never stored. The admin key
// opens the back office's routes, /v1/workspaces, and nothing else.
const keyPrefix = "jk_"

// newAPIKey returns a fresh workspace key and the hash the store keeps.
func newAPIKey() (key string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	key = keyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, hashKey(key)
}

// hashKey is what the store keeps of a key and looks keys up by.
func hashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// sameKey compares a key sent with a configured one through their
// hashes, in time that does not depend on where they differ; an empty
// configured key matches nothing.
func sameKey(sent []byte, configured []byte) bool {
	return len(configured) > 0 && subtle.ConstantTimeCompare(sent, configured) == 1
}

// keyWorkspace returns the workspace key opens, ok false when it opens
// none. The key is hashed first and looked up by its hash, so how long
// this takes does not depend on how much of a real key it matches.
func (s *Server) keyWorkspace(ctx context.Context, key string) (ws string, ok bool, err error) {
	hash := hashKey(key)
	if sameKey(hash, s.apiKeyHash) {
		return reporting.DefaultWorkspace, true, nil
	}
	ws, gen, ok := s.keys.get(hash)
	if ok {
		return ws, true, nil
	}
	ws, err = s.store.WorkspaceOfKey(ctx, hash)
	switch {
	case errors.Is(err, reporting.ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	s.keys.put(hash, ws, gen)
	return ws, true, nil
}

// keyTTL is how long a process keeps a key it has looked up. Revoking a
// key empties the cache of the process that revoked it; other processes
// serving the API refuse the key within keyTTL.
const keyTTL = 5 * time.Second

// keyCache remembers the workspaces of keys that opened one, by the key's
// hash, so that requests do not each wait on the store for their key.
// Keys that open nothing are never kept: the failure limiter deals with
// those.
type keyCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]cachedKey
	// gen counts the times the cache was emptied: a lookup that began
	// before a key was revoked must not put it back.
	gen uint64
}

type cachedKey struct {
	workspace string
	expires   time.Time
}

// maxCachedKeys bounds the cache; a full cache starts over.
const maxCachedKeys = 10_000

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, entries: map[string]cachedKey{}}
}

// get returns the workspace of the key whose hash is given, ok false when
// the cache does not know it; then gen is what put takes.
func (c *keyCache) get(hash []byte) (workspace string, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.entries[string(hash)]
	if !ok || time.Now().After(k.expires) {
		return "", c.gen, false
	}
	return k.workspace, c.gen, true
}

// put keeps what the store said of a key, unless the cache was emptied
// since get returned gen.
func (c *keyCache) put(hash []byte, workspace string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= maxCachedKeys {
		clear(c.entries)
	}
	c.entries[string(hash)] = cachedKey{workspace, time.Now().Add(c.ttl)}
}

// forget empties the cache, so that a revoked key is refused from the
// next request on.
func (c *keyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
}

// bearer returns the request's bearer token; ok is false when it sends
// no Authorization header of the Bearer scheme.
func bearer(c echo.Context) (token string, ok bool) {
	scheme, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
	return strings.TrimSpace(token), strings.EqualFold(scheme, "Bearer")
}

// authenticate lets through requests that carry a workspace's API key as
// a bearer token, scoped to that workspace: every store call the handler
// makes reads and writes that workspace's rows only. A wrong key is
// logged and counted against the client's address; an address out of
// tries is refused before its key is compared.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		addr := clientAddress(c)
		if wait := s.failures.wait(addr); wait > 0 {
			return heldBack(c, addr, wait)
		}
		token, isBearer := bearer(c)
		ws, ok, err := s.keyWorkspace(c.Request().Context(), token)
		if err != nil {
			return err
		}
		if !isBearer || !ok {
			if token != "" {
				s.failedKey(c, addr, token, "bearer")
			}
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="journeys"`)
			return Errorf(CodeUnauthorized, "send the workspace's API key as \"Authorization: Bearer <key>\"")
		}
		req := c.Request()
		c.SetRequest(req.WithContext(reporting.WithWorkspace(req.Context(), ws)))
		return next(c)
	}
}

// admin lets through requests that carry the admin key as a bearer token.
// Without an admin key configured, the back office's routes refuse
// everyone, saying so.
func (s *Server) admin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		addr := clientAddress(c)
		if wait := s.failures.wait(addr); wait > 0 {
			return heldBack(c, addr, wait)
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="journeys admin"`)
		if len(s.adminKeyHash) == 0 {
			return Errorf(CodeUnauthorized, "the admin key is not configured; set JOURNEYS_ADMIN_KEY to manage workspaces")
		}
		token, isBearer := bearer(c)
		if !isBearer || !sameKey(hashKey(token), s.adminKeyHash) {
			if token != "" {
				s.failedKey(c, addr, token, "admin")
			}
			return Errorf(CodeUnauthorized, "send the admin key as \"Authorization: Bearer <key>\"")
		}
		c.Response().Header().Del(echo.HeaderWWWAuthenticate)
		return next(c)
	}
}
