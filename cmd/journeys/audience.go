package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"journeys/api"
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

// checkCSV reads an audience CSV by the rules the API imports it by
// (api.AudienceReader) and returns how many users it lists, so that what
// would spoil the whole upload (a CSV syntax error, a header without
// user_id, a row with too few or many fields, a NUL byte) is found before
// uploading. Rows the server rejects one by one (a malformed id, say) are
// left to it. Errors name the file and line.
func checkCSV(r io.Reader, name string) (users int64, err error) {
	a, err := api.NewAudienceReader(r)
	if err != nil {
		return 0, fileError(name, err)
	}
	for {
		_, _, err := a.Next()
		if errors.Is(err, io.EOF) {
			return users, nil
		}
		if err != nil {
			return 0, fileError(name, err)
		}
		users++
	}
}

// fileError places an audience file error in the file, as name:line.
func fileError(name string, err error) error {
	var e *api.AudienceError
	switch {
	case errors.As(err, &e) && e.Line > 0 && e.Column != "":
		return fmt.Errorf("%s:%d: column %s: %w", name, e.Line, e.Column, e.Err)
	case errors.As(err, &e) && e.Line > 0:
		return fmt.Errorf("%s:%d: %w", name, e.Line, e.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
