package activities

import (
	"fmt"
	"regexp"
	"strings"
)

var localePattern = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// ParseLocale checks a locale tag, such as fa, fa-IR or zh-Hant-TW, and
// returns it in its usual case: language lower, region upper, script
// title.
func ParseLocale(s string) (string, error) {
	if !localePattern.MatchString(s) {
		return "", fmt.Errorf("locale %q is not a language tag such as fa, en or en-US", s)
	}
	parts := strings.Split(s, "-")
	parts[0] = strings.ToLower(parts[0])
	for i, p := range parts[1:] {
		switch len(p) {
		case 2:
			parts[i+1] = strings.ToUpper(p)
		case 4:
			parts[i+1] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			parts[i+1] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-"), nil
}

// FallbackLocale is the locale a template is looked up in when the user's
// own has none.
const FallbackLocale = "en"

// locales lists where a user with locale looks for a template, most
// specific first: fa-IR, fa, then FallbackLocale.
func locales(locale string) []string {
	var out []string
	if l, err := ParseLocale(locale); err == nil {
		for tag := l; ; {
			out = append(out, tag)
			i := strings.LastIndexByte(tag, '-')
			if i < 0 {
				break
			}
			tag = tag[:i]
		}
	}
	if len(out) == 0 || out[len(out)-1] != FallbackLocale {
		out = append(out, FallbackLocale)
	}
	return out
}
