package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// enrollUsage heads the help of "journeys enroll"; the flags follow it.
const enrollUsage = `Usage: journeys enroll --journey ID --file users.csv [--api-url URL] [--poll 500ms]

Enrolls every user of a CSV file in a journey through the API, then waits
for the import to finish and prints what it did. The first row names the
columns: user_id is required; email, phone, push_token, timezone and locale
fill the profile; any other column becomes a profile attribute.

Settings:
`

// enrollConfig holds the settings of "journeys enroll", which talks to
// the API over HTTP and so has its own, apart from config.
type enrollConfig struct {
	APIURL  string
	APIKey  string
	Journey string
	File    string
	Poll    time.Duration
}

// loadEnrollConfig reads the settings of enroll from getenv and args, and
// checks them. Each error names the variable or flag to fix.
func loadEnrollConfig(args []string, getenv func(string) string, stderr io.Writer) (enrollConfig, error) {
	c := enrollConfig{APIURL: getenv("JOURNEYS_API_URL")}
	if c.APIURL == "" {
		c.APIURL = "http://127.0.0.1:8080"
	}
	fs := flag.NewFlagSet("journeys enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, enrollUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.APIURL, "api-url", c.APIURL, "the journeys API (JOURNEYS_API_URL)")
	// No default from the environment here, so -h does not print the key.
	fs.StringVar(&c.APIKey, "api-key", "", "the API's bearer token (JOURNEYS_API_KEY)")
	fs.StringVar(&c.Journey, "journey", "", "the id of the journey to enroll the users in")
	fs.StringVar(&c.File, "file", "", `the CSV file of users, or "-" for stdin`)
	fs.DurationVar(&c.Poll, "poll", 500*time.Millisecond, "how often to ask the API how the import is doing")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.APIKey == "" {
		c.APIKey = getenv("JOURNEYS_API_KEY")
	}
	u, err := url.Parse(c.APIURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return c, fmt.Errorf("JOURNEYS_API_URL: want http://host:port, got %q", c.APIURL)
	case c.APIKey == "":
		return c, errors.New("JOURNEYS_API_KEY: required; set the bearer token the API expects (or pass --api-key)")
	case c.Journey == "":
		return c, errors.New("--journey: required; the id of the journey to enroll the users in")
	case c.File == "":
		return c, errors.New(`--file: required; a CSV file with a user_id column, or "-" for stdin`)
	case c.Poll <= 0:
		return c, fmt.Errorf("--poll: want a positive duration such as 500ms, got %v", c.Poll)
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	return c, nil
}

// enroll uploads an audience CSV to a journey through the API and follows
// the import job until it finishes, showing its progress on stderr and a
// summary on stdout.
func enroll(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return enrollFrom(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// enrollFrom is enroll reading "--file -" from stdin.
func enrollFrom(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := loadEnrollConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	f, err := openAudience(cfg.File, stdin)
	if err != nil {
		return err
	}
	defer f.Close()
	users, err := checkCSV(f, f.name)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind %s: %w", f.name, err)
	}

	c := &apiClient{base: cfg.APIURL, key: cfg.APIKey, http: &http.Client{}}
	fmt.Fprintf(stderr, "uploading %s: %d users for journey %q\n", f.name, users, cfg.Journey)
	start := time.Now()
	j, err := c.importCSV(ctx, cfg.Journey, f.File, st.Size())
	if err != nil {
		return uploadError(ctx, f.name, err)
	}
	j, err = follow(ctx, c, j, cfg.Poll, newProgress(stderr, start))
	if err != nil {
		return err
	}
	printSummary(stdout, cfg.Journey, j, time.Since(start))
	if j.Status == jobFailed {
		return fmt.Errorf("import %s failed: %s", j.ID, j.Error)
	}
	return nil
}

// uploadError says what to fix when the upload of the file name failed.
func uploadError(ctx context.Context, name string, err error) error {
	var e *apiError
	switch {
	case errors.As(err, &e) && e.Status == http.StatusUnauthorized:
		return fmt.Errorf("JOURNEYS_API_KEY: %w", err)
	case errors.As(err, &e):
		return err // the API's message says what to fix
	case ctx.Err() != nil:
		return fmt.Errorf("upload %s: %w", name, err)
	default:
		return fmt.Errorf("JOURNEYS_API_URL: %w", err)
	}
}

// pollGrace is how long follow keeps asking through network errors and
// 5xx answers before it gives up.
const pollGrace = time.Minute

// follow polls the job every interval until it finishes or ctx is done,
// reporting each state to p.
func follow(ctx context.Context, c *apiClient, j apiJob, every time.Duration, p progress) (apiJob, error) {
	defer p.stop()
	t := time.NewTicker(every)
	defer t.Stop()
	p.update(j)
	lastOK := time.Now()
	for !j.finished() {
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		if ctx.Err() != nil {
			return j, fmt.Errorf("stopped waiting; import %s keeps running on the server. %s", j.ID, c.followHint(j.ID))
		}
		next, err := c.job(ctx, j.ID)
		if err != nil && ctx.Err() == nil {
			if transient(err) && time.Since(lastOK) < pollGrace {
				continue
			}
			return j, fmt.Errorf("follow import %s: %w; it may still be running. %s", j.ID, err, c.followHint(j.ID))
		}
		if err != nil {
			continue // interrupted; the next round says so
		}
		lastOK = time.Now()
		j = next
		p.update(j)
	}
	return j, nil
}

// followHint tells a person how to look at the job themselves.
func (c *apiClient) followHint(id string) string {
	return fmt.Sprintf("Follow it with GET /v1/jobs/%s:\n  curl -H \"Authorization: Bearer $JOURNEYS_API_KEY\" %s/v1/jobs/%s",
		id, c.base, url.PathEscape(id))
}

// printSummary writes what the import did as aligned "name value" lines.
func printSummary(w io.Writer, journeyID string, j apiJob, elapsed time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "journey\t%s\n", journeyID)
	fmt.Fprintf(tw, "job\t%s\n", j.ID)
	fmt.Fprintf(tw, "status\t%s\n", j.Status)
	fmt.Fprintf(tw, "total\t%d\n", j.Total)
	if j.Processed != j.Total {
		fmt.Fprintf(tw, "processed\t%d\n", j.Processed)
	}
	fmt.Fprintf(tw, "enrolled\t%d\n", j.Enrolled)
	fmt.Fprintf(tw, "already enrolled\t%d\n", j.AlreadyEnrolled)
	fmt.Fprintf(tw, "not eligible\t%d\n", j.NotEligible)
	fmt.Fprintf(tw, "invalid\t%d\n", j.Invalid)
	fmt.Fprintf(tw, "elapsed\t%v\n", roundDuration(elapsed))
	fmt.Fprintf(tw, "rate\t%.0f users/s\n", perSecond(j.Processed, elapsed))
	tw.Flush()
}

// perSecond is n per second over d.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// roundDuration keeps the digits of d a person reads.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// progress shows how far a running import has come.
type progress interface {
	update(j apiJob) // shows the job's latest state
	stop()           // ends the display before the summary or an error
}

// newProgress draws a bar on a terminal and prints plain lines elsewhere
// (logs, CI, pipes), where a redrawn bar is noise.
func newProgress(w io.Writer, start time.Time) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &lineProgress{w: w, start: start, every: 5 * time.Second}
}

// barProgress draws processed/total with rate and time left.
type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar // made once the total is known
}

func (p *barProgress) update(j apiJob) {
	if j.Total <= 0 {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(j.Total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("enrolling"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("users"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionUseANSICodes(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
		)
	} else if p.bar.GetMax64() != j.Total {
		p.bar.ChangeMax64(j.Total)
	}
	if j.LastError != "" {
		p.bar.Describe("enrolling, " + retrying(j))
	} else {
		p.bar.Describe("enrolling")
	}
	p.bar.Set64(min(j.Processed, j.Total)) // drawing errors are not worth stopping for
}

func (p *barProgress) stop() {
	if p.bar != nil && !p.bar.IsFinished() {
		p.bar.Exit() // leaves the bar as it is and ends its line
	}
}

// lineProgress prints one line every so often, and at once when the job
// runs into an error.
type lineProgress struct {
	w       io.Writer
	start   time.Time
	every   time.Duration
	last    time.Time
	lastErr string
}

func (p *lineProgress) update(j apiJob) {
	now := time.Now()
	if j.finished() || (now.Sub(p.last) < p.every && j.LastError == p.lastErr) {
		return // the summary tells the end
	}
	p.last, p.lastErr = now, j.LastError
	elapsed := now.Sub(p.start)
	var line string
	switch {
	case j.Total <= 0:
		line = fmt.Sprintf("import %s: %d users processed", j.ID, j.Processed)
	case j.Processed <= 0:
		line = fmt.Sprintf("import %s: 0/%d users", j.ID, j.Total)
	default:
		r := perSecond(j.Processed, elapsed)
		left := time.Duration(float64(j.Total-j.Processed) / r * float64(time.Second))
		line = fmt.Sprintf("import %s: %d/%d users (%d%%), %.0f users/s, about %v left",
			j.ID, j.Processed, j.Total, j.Processed*100/j.Total, r, left.Round(time.Second))
	}
	if j.LastError != "" {
		line += "; " + retrying(j)
	}
	fmt.Fprintln(p.w, line)
}

func (p *lineProgress) stop() {}

// retrying says what the job is retrying after, and since when.
func retrying(j apiJob) string {
	if at, err := time.Parse(time.RFC3339Nano, j.LastErrorAt); err == nil {
		return fmt.Sprintf("retrying after an error at %s: %s", at.Local().Format(time.TimeOnly), j.LastError)
	}
	return "retrying after an error: " + j.LastError
}
