package api

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The limits of an audience file, besides its size (maxImport).
const (
	// MaxAudienceColumns bounds the columns of an audience file.
	MaxAudienceColumns = 100
	// MaxAudienceCell bounds one cell of an audience file, in bytes.
	MaxAudienceCell = 4 << 10
	// MaxAudienceRow bounds one row of an audience file as written, in
	// bytes. A row within the column and cell limits always fits; the
	// bound keeps what a malformed row costs to read small.
	MaxAudienceRow = 1 << 20
)

// utf8BOM starts files that spreadsheets save as "CSV UTF-8"; it is not
// part of the first column's name.
const utf8BOM = "\ufeff"

// AudienceError is why an audience file cannot be imported, with the line
// to fix (1 is the header; 0 when the whole file is at fault) and the
// column when one cell is.
type AudienceError struct {
	Line   int
	Column string
	Err    error
}

func (e *AudienceError) Error() string {
	switch {
	case e.Line == 0:
		return e.Err.Error()
	case e.Column != "":
		return fmt.Sprintf("line %d, column %s: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *AudienceError) Unwrap() error { return e.Err }

// AudienceReader reads an audience file (the body of POST
// /v1/journeys/{id}/imports) row by row, holding one row at a time. It is
// the one place that knows the file's rules: a UTF-8 CSV whose first line
// names the columns (trimmed, matched case-insensitively, a byte order
// mark ignored), user_id among them, each named once; every row as many
// fields as the header; no cell with a NUL byte or invalid UTF-8; and the
// limits above.
type AudienceReader struct {
	csv     *csv.Reader
	guard   *rowGuard
	columns []string
	// end is the line the last row read ended on.
	end int
	// rows counts the rows read after the header.
	rows int
}

// NewAudienceReader reads the header of the audience file r and checks it.
// Errors are *AudienceError.
func NewAudienceReader(r io.Reader) (*AudienceReader, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	// The csv reader reads ahead by its own buffer, which the guard allows for.
	guard := &rowGuard{r: br, max: MaxAudienceRow + 4<<10}
	a := &AudienceReader{csv: csv.NewReader(guard), guard: guard}
	a.csv.ReuseRecord = true
	header, err := a.read()
	if errors.Is(err, io.EOF) {
		return nil, &AudienceError{Err: errors.New("the file is empty; send a CSV whose first line names the columns, with user_id among them")}
	}
	if err != nil {
		return nil, err
	}
	line, _ := a.csv.FieldPos(0)
	if err := checkColumns(header); err != nil {
		return nil, &AudienceError{Line: line, Err: err}
	}
	a.columns = make([]string, len(header))
	for i, h := range header {
		a.columns[i] = strings.ToLower(strings.TrimSpace(h))
	}
	return a, nil
}

// checkColumns checks the column names of an audience file's header.
func checkColumns(header []string) error {
	if len(header) > MaxAudienceColumns {
		return fmt.Errorf("%d columns; a file has at most %d", len(header), MaxAudienceColumns)
	}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case name == "":
			return fmt.Errorf("column %d of the header has no name", i+1)
		case seen[name]:
			return fmt.Errorf("column %q appears twice in the header", name)
		}
		seen[name] = true
	}
	if !seen["user_id"] {
		return fmt.Errorf("the header has no user_id column (columns: %q); the first line must name the columns", header)
	}
	return nil
}

// Columns returns the header's column names, trimmed and in lower case.
func (a *AudienceReader) Columns() []string { return a.columns }

// Next returns the next row's line (where it starts) and fields, in the
// order of Columns; the fields are valid until the next call. After the
// last row it returns io.EOF; any other error is an *AudienceError, among
// them a file with no rows after its header.
func (a *AudienceReader) Next() (line int, fields []string, err error) {
	rec, err := a.read()
	if errors.Is(err, io.EOF) && a.rows == 0 {
		return 0, nil, &AudienceError{Err: errors.New("the file has a header but no users")}
	}
	if err != nil {
		return 0, nil, err
	}
	a.rows++
	line, _ = a.csv.FieldPos(0)
	return line, rec, nil
}

// read reads one record and checks its cells.
func (a *AudienceReader) read() ([]string, error) {
	a.guard.n = 0
	rec, err := a.csv.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		return nil, &AudienceError{Line: pe.StartLine, Err: fmt.Errorf("%d fields, but the header has %d; quote values that contain commas", len(rec), len(a.columns))}
	case errors.As(err, &pe):
		return nil, &AudienceError{Line: pe.Line, Err: pe.Err}
	case errors.Is(err, errRowTooLong):
		return nil, &AudienceError{Line: a.end + 1, Err: err}
	case err != nil:
		return nil, &AudienceError{Line: a.end + 1, Err: readError{err}}
	}
	for i, cell := range rec {
		if err := checkCell(cell); err != nil {
			line, _ := a.csv.FieldPos(i)
			return nil, &AudienceError{Line: line, Column: a.column(i), Err: err}
		}
	}
	last, _ := a.csv.FieldPos(len(rec) - 1)
	a.end = last + strings.Count(rec[len(rec)-1], "\n")
	return rec, nil
}

// column names column i for messages, before the header is read too.
func (a *AudienceReader) column(i int) string {
	if i < len(a.columns) {
		return a.columns[i]
	}
	return fmt.Sprint(i + 1)
}

// checkCell refuses what no field of a profile can hold.
func checkCell(s string) error {
	switch {
	case len(s) > MaxAudienceCell:
		return fmt.Errorf("%d bytes; a cell holds at most %d", len(s), MaxAudienceCell)
	case strings.IndexByte(s, 0) >= 0:
		return errors.New("contains a NUL byte")
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8; save the file as UTF-8")
	}
	return nil
}

// readError is a failure to read the file, as opposed to a fault in it.
type readError struct{ err error }

func (e readError) Error() string { return "reading the file failed: " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// errRowTooLong is a row past MaxAudienceRow.
var errRowTooLong = fmt.Errorf("the row is longer than %d KiB", MaxAudienceRow>>10)

// rowGuard fails a read once more than max bytes have been read since n
// was last reset, so that one endless row (an unclosed quote, say) cannot
// make the csv reader hold the whole file.
type rowGuard struct {
	r      io.Reader
	n, max int
}

func (g *rowGuard) Read(p []byte) (int, error) {
	if g.n >= g.max {
		return 0, errRowTooLong
	}
	if len(p) > g.max-g.n {
		p = p[:g.max-g.n]
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}
