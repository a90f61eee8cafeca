package api

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// The limits of every input the API takes, in one place. README.md and
// api/openapi.yaml state the same numbers; a request over one is refused
// with 400 invalid (413 too_large for a body) naming the field and the
// limit. Lengths of text count characters, sizes of bodies and JSON values
// count bytes as sent.

// Request bodies, per route. Single objects are small; batches are larger.
// Audience imports (CSV) have their own limit, in jobs.go.
const (
	maxUserBody        = 256 << 10 // a profile with up to 64 KiB of attributes, escaped
	maxTemplateBody    = 1 << 20   // four fields of up to 64 KiB each, escaped
	maxJourneyBody     = 256 << 10 // a journey and its config
	maxJourneyPatch    = 256 << 10
	maxEnrollBody      = 4 << 10   // {"user_id": ...}
	maxEnrollBatchBody = 1 << 20   // up to 1,000 user ids
	maxEventBody       = 256 << 10 // an event with up to 64 KiB of properties, escaped
	maxEventBatchBody  = 8 << 20   // up to 1,000 events
	maxChannelBody     = 64 << 10  // a provider's settings, an FCM key of a few KiB among them
	maxSimulateBody    = 1 << 20   // a profile and up to 100 events
	maxPreviewBody     = 256 << 10 // a profile
	// maxFrequencyCapsBody holds the most caps a workspace may have
	// (reporting.MaxCaps, which with the other bounds of a cap lives
	// beside the store that relies on them).
	maxFrequencyCapsBody = 8 << 10
)

// Text fields, in characters.
const (
	maxIDLength          = 128 // user, journey and template ids (see idPattern)
	maxEventIDLength     = 200
	maxEventNameLength   = 100 // event names, and a journey's goal, entry and exit events
	maxMatchLength       = 100 // a journey's match property, a property name of its entry event
	maxJourneyNameLength = 200
	maxEmailLength       = 254 // RFC 5321's limit on a forward path
	maxPhoneLength       = 64  // as typed, spaces and punctuation too
	maxPushTokenLength   = 4096
	maxTimezoneLength    = 64
	maxLocaleLength      = 35   // the longest BCP 47 tags in use
	maxDurationLength    = 32   // conversion_window, reentry
	maxConfigText        = 1024 // any string in a journey's config, conditions included
	// maxTemplateField bounds each of a template's title, subject, body
	// and html, in bytes.
	maxTemplateField = 64 << 10
	// maxSettingLength bounds each text setting of a channel provider.
	maxSettingLength = 2048
)

// Free-form JSON values, in bytes as sent, and how deeply any JSON may
// nest (Postgres refuses jsonb nested a few thousand levels deep).
const (
	maxPropertiesSize  = 64 << 10 // an event's properties: they travel in the signal to every run
	maxAttributesSize  = 64 << 10 // a user's attributes
	maxCredentialsSize = 16 << 10 // an FCM service-account key, about 2.3 KiB
	maxDepth           = 32
)

// Lists.
const (
	maxExitEvents   = 20
	maxUnsubscribed = 8
	maxBatch        = 1000 // user_ids of a batch enrollment; larger audiences go through imports
	maxEvents       = 1000 // events of a batch
	// batchWorkers is how many users of a batch enrollment, or events of
	// a batch, are in flight at once. Most of each is a round trip to
	// Temporal; 32 matches the clients BenchmarkHot starts plain runs with.
	batchWorkers = 32
	// maxSimulatedEvents is how many events one simulation plays.
	maxSimulatedEvents = 100
)

// Simulations run workflow code in the API process (see simulate.go).
const (
	// maxSimulatedTime is how long after the enrollment a simulation
	// follows a run, on the simulated clock.
	maxSimulatedTime = 180 * 24 * time.Hour
	// simulationTimeout is how long one simulation may take on the wall
	// clock.
	simulationTimeout = 20 * time.Second
	// maxSimulations is how many simulations one API process runs at once.
	maxSimulations = 2
)

// Numbers and times.
const (
	// maxRevenue bounds an event's revenue property, so that no sum of
	// revenues can leave the range reports add up in.
	maxRevenue = 1e12
	// maxEventAhead is how far in the future occurred_at may be: clocks
	// drift, but an event cannot have happened tomorrow.
	maxEventAhead = 24 * time.Hour
)

// earliestEvent is the earliest occurred_at taken.
var earliestEvent = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkLength refuses s when it is longer than max characters.
func checkLength(field, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(CodeInvalid, "%s is %d characters long; the limit is %d", field, n, max)
	}
	return nil
}

// checkSize refuses a JSON value of more than max bytes.
func checkSize(field string, raw []byte, max int) error {
	if len(raw) > max {
		return Errorf(CodeInvalid, "%s is %s of JSON; the limit is %s", field, byteSize(len(raw)), byteSize(max))
	}
	return nil
}

// byteSize writes n bytes for people: "512 bytes", "64 KiB", "1.5 MiB".
func byteSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return trimZero(fmt.Sprintf("%.1f KiB", float64(n)/(1<<10)))
	}
	return trimZero(fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)))
}

func trimZero(s string) string { return strings.Replace(s, ".0 ", " ", 1) }

// clip shortens what a client sent for quoting in a message, so that a
// megabyte of input does not come back as a megabyte of error.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// checkURL refuses a request whose path or query, once decoded, is not
// valid UTF-8 or holds a NUL: ids and parameters go to Postgres, which
// refuses both.
func checkURL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !cleanText(c.Request().URL.Path) {
			return Errorf(CodeInvalid, "the path must be valid UTF-8 without NUL characters (%%00)")
		}
		for name, values := range c.QueryParams() {
			if !cleanText(name) || slices.ContainsFunc(values, func(v string) bool { return !cleanText(v) }) {
				return Errorf(CodeInvalid, "query parameter %q must be valid UTF-8 without NUL characters (%%00)", clip(strings.ToValidUTF8(name, "?")))
			}
		}
		return next(c)
	}
}

// cleanText reports whether s is text Postgres stores.
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
