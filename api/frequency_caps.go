package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows/journey"
)

// frequencyCap is one cap as the API reads and writes it:
// {"channel": "push", "max": 2, "per": "24h"}.
type frequencyCap struct {
	Channel string `json:"channel"`
	Max     int    `json:"max"`
	Per     string `json:"per"`
}

// capChannels are the channels a cap may name: every channel, and any.
var capChannels = append(slices.Clone(channels.All), reporting.AnyChannel)

// putFrequencyCaps replaces the workspace's frequency caps with the list in
// the body; an empty list removes them.
func (s *Server) putFrequencyCaps(c echo.Context) error {
	raw, err := readBody(c, maxFrequencyCapsBody)
	if err != nil {
		return err
	}
	caps, err := parseFrequencyCaps(raw)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.store.SetFrequencyCaps(ctx, caps); err != nil {
		return err
	}
	return s.writeFrequencyCaps(c)
}

func (s *Server) getFrequencyCaps(c echo.Context) error {
	return s.writeFrequencyCaps(c)
}

// writeFrequencyCaps answers with the workspace's caps as they are stored.
func (s *Server) writeFrequencyCaps(c echo.Context) error {
	caps, err := s.store.FrequencyCaps(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]frequencyCap, len(caps))
	for i, fc := range caps {
		out[i] = frequencyCap{Channel: fc.Channel, Max: fc.Max, Per: journey.Short(fc.Per)}
	}
	return c.JSON(http.StatusOK, out)
}

// parseFrequencyCaps reads and checks a list of caps: each on a known
// channel or any, a max from 1 to reporting.MaxCapSends, a window from
// reporting.MinCapWindow to reporting.MaxCapWindow, and no channel and
// window twice. Messages name the item as [i].field.
func parseFrequencyCaps(raw []byte) ([]reporting.FrequencyCap, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '[' || !json.Valid(raw) {
		return nil, Errorf(CodeInvalid, `the body must be a JSON array of caps, such as [{"channel": "push", "max": 2, "per": "24h"}]`)
	}
	if err := checkJSON(raw, "the body"); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, Errorf(CodeInvalid, "the body is not valid JSON")
	}
	if len(items) > reporting.MaxCaps {
		return nil, Errorf(CodeInvalid, "the body lists %d caps; the limit is %d", len(items), reporting.MaxCaps)
	}
	caps := make([]reporting.FrequencyCap, 0, len(items))
	for i, item := range items {
		var body frequencyCap
		if err := decode(item, fmt.Sprintf("[%d]", i), &body); err != nil {
			var e *Error
			if errors.As(err, &e) && !strings.HasPrefix(e.Message, "[") {
				e.Message = fmt.Sprintf("[%d]: %s", i, e.Message)
			}
			return nil, err
		}
		fc, err := body.check(i)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(caps, func(o reporting.FrequencyCap) bool { return o.Channel == fc.Channel && o.Per == fc.Per }) {
			return nil, Errorf(CodeInvalid, "[%d] repeats the cap on %s per %s; give each channel and window once", i, fc.Channel, body.Per)
		}
		caps = append(caps, fc)
	}
	return caps, nil
}

// check validates the i-th cap of a list.
func (b frequencyCap) check(i int) (reporting.FrequencyCap, error) {
	if !slices.Contains(capChannels, channels.Channel(b.Channel)) {
		names := make([]string, len(capChannels))
		for k, c := range capChannels {
			names[k] = string(c)
		}
		return reporting.FrequencyCap{}, Errorf(CodeInvalid, "[%d].channel %q is not one of %s", i, clip(b.Channel), strings.Join(names, ", "))
	}
	if b.Max < 1 || b.Max > reporting.MaxCapSends {
		return reporting.FrequencyCap{}, Errorf(CodeInvalid, "[%d].max must be a whole number from 1 to %d, not %d", i, reporting.MaxCapSends, b.Max)
	}
	per, err := time.ParseDuration(b.Per)
	if err != nil || len(b.Per) > maxDurationLength || per < reporting.MinCapWindow || per > reporting.MaxCapWindow {
		return reporting.FrequencyCap{}, Errorf(CodeInvalid, "[%d].per %q must be a duration from %s to %s, such as \"24h\"",
			i, clip(b.Per), journey.Short(reporting.MinCapWindow), journey.Short(reporting.MaxCapWindow))
	}
	if per%time.Second != 0 {
		return reporting.FrequencyCap{}, Errorf(CodeInvalid, "[%d].per %q must be a whole number of seconds", i, clip(b.Per))
	}
	return reporting.FrequencyCap{Channel: b.Channel, Max: b.Max, Per: per}, nil
}
