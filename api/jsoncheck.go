package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkJSON walks a JSON document that encoding/json accepted and refuses
// what Postgres would refuse, or what would reach it altered: text that is
// not valid UTF-8 (encoding/json would quietly replace it), a NUL
// (\u0000) or an unpaired UTF-16 surrogate anywhere, keys included; a
// number beyond float64's range; nesting deeper than maxDepth. The error
// names the value by its JSON path, such as properties.items[2].name; root
// names the document.
func checkJSON(raw []byte, root string) error {
	s := &scanner{b: raw, root: root}
	return s.document()
}

// checkTextLength refuses a JSON document with a string value longer than
// max characters, naming it by its path under root.
func checkTextLength(raw []byte, root string, max int) error {
	s := &scanner{b: raw, root: root, maxText: max}
	return s.document()
}

// findText returns the JSON path of the first string value text under a
// key named key in raw, such as touches[1].template, or "".
func findText(raw []byte, key, text string) string {
	var found string
	s := &scanner{b: raw, visit: func(s *scanner, start, end int) bool {
		last := len(s.path) - 1
		if last < 0 || string(s.path[last].key) != `"`+key+`"` || raw[start] != '"' {
			return false
		}
		var got string
		if json.Unmarshal(raw[start:end], &got) != nil || got != text {
			return false
		}
		found = s.pathString()
		return true
	}}
	_ = s.document()
	return found
}

// pathAt returns the JSON path of the innermost value of raw around byte
// offset off (where encoding/json reports a type error), or "" when it
// cannot tell.
func pathAt(raw []byte, off int64) string {
	var found string
	s := &scanner{b: raw, visit: func(s *scanner, start, end int) bool {
		if int64(start) < off && off <= int64(end) {
			found = s.pathString()
			return true
		}
		return false
	}}
	if err := s.document(); !errors.Is(err, errStop) {
		return ""
	}
	return found
}

// scanner is a recursive-descent reader of one JSON document.
type scanner struct {
	b    []byte
	i    int
	root string
	// path holds the raw key (quoted) or the index of each value entered.
	path []pathElem
	// visit, when set, sees every value once it is read; returning true
	// stops the walk.
	visit func(s *scanner, start, end int) bool
	// maxText, when set, is the most characters a string value may have.
	maxText int
}

type pathElem struct {
	key   []byte
	index int
}

var (
	errStop   = errors.New("stop")
	errSyntax = errors.New("not valid JSON")
)

func (s *scanner) document() error {
	if err := s.value(); err != nil {
		return err
	}
	s.space()
	if s.i != len(s.b) {
		return errSyntax
	}
	return nil
}

func (s *scanner) space() {
	for s.i < len(s.b) && strings.IndexByte(" \t\r\n", s.b[s.i]) >= 0 {
		s.i++
	}
}

func (s *scanner) value() error {
	s.space()
	if s.i >= len(s.b) {
		return errSyntax
	}
	start := s.i
	var err error
	switch c := s.b[s.i]; {
	case c == '{':
		err = s.object()
	case c == '[':
		err = s.array()
	case c == '"':
		err = s.text(false)
		if err == nil && s.maxText > 0 && s.i-start-2 > s.maxText {
			var text string
			_ = json.Unmarshal(s.b[start:s.i], &text)
			if n := utf8.RuneCountInString(text); n > s.maxText {
				err = s.problem(fmt.Sprintf("is %d characters long; the limit is %d", n, s.maxText))
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		err = s.number()
	default:
		for s.i < len(s.b) && s.b[s.i] >= 'a' && s.b[s.i] <= 'z' {
			s.i++
		}
		if s.i == start {
			err = errSyntax
		}
	}
	if err != nil {
		return err
	}
	if s.visit != nil && s.visit(s, start, s.i) {
		return errStop
	}
	return nil
}

// enter checks the depth before an object or array is read.
func (s *scanner) enter() error {
	if len(s.path)+1 > maxDepth {
		return s.problem(fmt.Sprintf("is nested more than %d levels deep; the limit is %d", maxDepth, maxDepth))
	}
	s.i++
	s.space()
	return nil
}

func (s *scanner) object() error {
	if err := s.enter(); err != nil {
		return err
	}
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		start := s.i
		if err := s.text(true); err != nil {
			return err
		}
		key := s.b[start:s.i]
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errSyntax
		}
		s.i++
		s.path = append(s.path, pathElem{key: key})
		if err := s.value(); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

func (s *scanner) array() error {
	if err := s.enter(); err != nil {
		return err
	}
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for n := 0; ; n++ {
		s.path = append(s.path, pathElem{index: n})
		if err := s.value(); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

// next reads the comma before the next member, or the closing bracket.
func (s *scanner) next(closing byte) (done bool, err error) {
	s.space()
	switch {
	case s.i < len(s.b) && s.b[s.i] == ',':
		s.i++
		return false, nil
	case s.i < len(s.b) && s.b[s.i] == closing:
		s.i++
		return true, nil
	}
	return true, errSyntax
}

// text reads a string literal and refuses text Postgres cannot store.
func (s *scanner) text(isKey bool) error {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return errSyntax
	}
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c == '\\':
			if err := s.escape(isKey); err != nil {
				return err
			}
		case c == 0:
			return s.textProblem(isKey, `contains a NUL character (\u0000)`)
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return s.textProblem(isKey, "is not valid UTF-8")
			}
			s.i += size
		}
	}
	return errSyntax
}

// escape reads one escape sequence of a string literal.
func (s *scanner) escape(isKey bool) error {
	if s.i+1 >= len(s.b) {
		return errSyntax
	}
	if s.b[s.i+1] != 'u' {
		s.i += 2
		return nil
	}
	r, ok := s.hex4(s.i + 2)
	if !ok {
		return errSyntax
	}
	seq := string(s.b[s.i : s.i+6])
	s.i += 6
	switch {
	case r == 0:
		return s.textProblem(isKey, `contains a NUL character (\u0000)`)
	case r >= 0xDC00 && r < 0xE000:
		return s.textProblem(isKey, fmt.Sprintf("contains an unpaired UTF-16 surrogate (%s)", seq))
	case r >= 0xD800 && r < 0xDC00:
		low, ok := s.hex4(s.i + 2)
		if s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' || !ok || low < 0xDC00 || low >= 0xE000 {
			return s.textProblem(isKey, fmt.Sprintf("contains an unpaired UTF-16 surrogate (%s)", seq))
		}
		s.i += 6
	}
	return nil
}

func (s *scanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.b[at:at+4]), 16, 16)
	return rune(n), err == nil
}

// number reads a number and refuses one no float64 holds: beyond
// ±1.8e308, or so close to zero that it would be stored as 0.
func (s *scanner) number() error {
	start := s.i
	for s.i < len(s.b) && strings.IndexByte("+-.eE0123456789", s.b[s.i]) >= 0 {
		s.i++
	}
	lit := string(s.b[start:s.i])
	f, err := strconv.ParseFloat(lit, 64)
	mantissa, _, _ := strings.Cut(strings.ToLower(lit), "e")
	if err != nil || f == 0 && strings.ContainsAny(mantissa, "123456789") {
		return s.problem(fmt.Sprintf("is %s, out of range: numbers must be 0 or between 1e-308 and 1e308 in size", clip(lit)))
	}
	return nil
}

func (s *scanner) textProblem(isKey bool, problem string) error {
	const rule = "; text must be valid UTF-8 without NUL characters"
	if isKey {
		return s.problem("has a key that " + problem + rule)
	}
	return s.problem(problem + rule)
}

func (s *scanner) problem(msg string) error {
	return Errorf(CodeInvalid, "%s %s", s.pathString(), msg)
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pathString writes the current path as a client would: events[2].name,
// or the root's name at the top.
func (s *scanner) pathString() string {
	if len(s.path) == 0 {
		return s.root
	}
	var b strings.Builder
	for _, e := range s.path {
		if e.key == nil {
			fmt.Fprintf(&b, "[%d]", e.index)
			continue
		}
		var key string
		_ = json.Unmarshal(e.key, &key)
		switch {
		case plainKey.MatchString(key) && b.Len() == 0:
			b.WriteString(key)
		case plainKey.MatchString(key):
			b.WriteString("." + key)
		default:
			fmt.Fprintf(&b, "[%q]", clip(key))
		}
	}
	return b.String()
}
