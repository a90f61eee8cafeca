package channels

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone returns raw in E.164 (+989121234567), reading a number
// without its country code (09121234567) as one of region, an ISO 3166
// code such as IR; with region "" only international numbers are read.
// It refuses only what cannot be read as a phone number of a possible
// length, not numbers its tables do not know yet: those still reach the
// SMS provider, whose answer is authoritative.
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	region = strings.ToUpper(region)
	num, err := phonenumbers.Parse(raw, region)
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode) && region == "" && !strings.HasPrefix(raw, "+"):
		return "", errors.New("is not in international form (+ and the country code, such as +989121234567), and the workspace has no phone region to read local numbers with")
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "", errors.New("has no country code this service knows")
	case err != nil:
		return "", fmt.Errorf("is not a phone number: %v", err)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	// A number the tables call valid is; one they do not know is kept if
	// its length is possible and it has the digits E.164 allows, as every
	// number the service took before it read local ones.
	if !phonenumbers.IsValidNumber(num) && (!phonenumbers.IsPossibleNumber(num) || !e164Form.MatchString(e164)) {
		return "", fmt.Errorf("has a length no number of country code +%d has", num.GetCountryCode())
	}
	return e164, nil
}

var e164Form = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// KnownRegion reports whether region is a country code NormalizePhone can
// read local numbers of.
func KnownRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)) != 0
}
