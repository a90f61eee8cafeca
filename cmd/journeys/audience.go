package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// audienceFile is the CSV to upload, on disk so it can be read twice:
// once to check it, once to upload it.
type audienceFile struct {
	*os.File
	name string // for messages: the path, or "stdin"
	temp bool   // a copy of a stream, removed on Close
}

// Close closes the file and removes it if it was a copy.
func (f *audienceFile) Close() error {
	err := f.File.Close()
	if f.temp {
		os.Remove(f.File.Name())
	}
	return err
}

// openAudience opens the CSV at path. Stdin ("-") and other streams that
// cannot be read twice are copied to a temporary file first.
func openAudience(path string, stdin io.Reader) (*audienceFile, error) {
	name, src := "stdin", stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return &audienceFile{File: f, name: path}, nil
		}
		defer f.Close()
		name, src = path, f
	}
	tmp, err := os.CreateTemp("", "journeys-enroll-*.csv")
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", name, err)
	}
	af := &audienceFile{File: tmp, name: name, temp: true}
	if _, err := io.Copy(tmp, src); err != nil {
		af.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		af.Close()
		return nil, fmt.Errorf("copy %s: %w", name, err)
	}
	return af, nil
}

// utf8BOM starts CSV files that Excel saves as "CSV UTF-8"; it is not
// part of the first column's name, so enroll does not upload it.
const utf8BOM = "\ufeff"

// audience is what checkCSV learned about an audience file.
type audience struct {
	users int64 // rows after the header
	bom   bool  // the file starts with utf8BOM
}

// checkCSV reads an audience CSV and checks what would spoil the whole
// upload: a CSV syntax error, a header without user_id, a row whose number
// of fields differs from the header's. Rows the server can reject one by
// one (a malformed id, say) are left to it. Errors name the file and line.
func checkCSV(r io.Reader, name string) (audience, error) {
	var a audience
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM))
		a.bom = true
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return a, fmt.Errorf("%s: the file is empty; want a header row naming the columns, one of them user_id", name)
	}
	if err != nil {
		return a, csvError(name, err)
	}
	headerLine, _ := cr.FieldPos(0)
	if err := checkHeader(header); err != nil {
		return a, fmt.Errorf("%s:%d: %w", name, headerLine, err)
	}
	columns := len(header)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			return a, fmt.Errorf("%s:%d: %d fields, but the header has %d; quote values that contain commas",
				name, pe.StartLine, len(rec), columns)
		}
		if err != nil {
			return a, csvError(name, err)
		}
		a.users++
	}
	if a.users == 0 {
		return a, fmt.Errorf("%s: no users after the header on line %d", name, headerLine)
	}
	return a, nil
}

// checkHeader checks the column names of an audience CSV.
func checkHeader(columns []string) error {
	seen := make(map[string]bool, len(columns))
	for i, c := range columns {
		switch {
		case strings.TrimSpace(c) == "":
			return fmt.Errorf("column %d of the header has no name", i+1)
		case seen[c]:
			return fmt.Errorf("column %q appears twice in the header", c)
		}
		seen[c] = true
	}
	if !seen["user_id"] {
		return fmt.Errorf("the header has no user_id column (columns: %q); the first row must name the columns", columns)
	}
	return nil
}

// csvError places a CSV reading error in the file.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: %w", name, pe.Line, pe.Err)
	}
	return fmt.Errorf("read %s: %w", name, err)
}
