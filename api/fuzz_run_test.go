package api_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

var fuzzTime = flag.Duration("fuzz-each", 6*time.Second, "how long TestFuzzTargets fuzzes each target")

// fuzzTargets are the fuzz targets of this package, one per resource whose
// requests are decoded.
var fuzzTargets = []string{"FuzzUsers", "FuzzTemplates", "FuzzJourneys", "FuzzEnrollments", "FuzzEvents",
	"FuzzImports", "FuzzQueries", "FuzzLogin", "FuzzUnsubscribe", "FuzzFrequencyCaps", "FuzzChannels", "FuzzDryRuns"}

// TestFuzzTargets fuzzes each target for -fuzz-each (6 s) in a child
// process, so that `go test ./...` explores beyond the seeds. It is
// `go test -run '^$' -fuzz '^FuzzX$' -fuzztime 6s` for each target, with
// the instrumented test binary built once rather than linked for each.
// A failing input is written under testdata/fuzz/ by the child, where it
// stays as a seed, and the corpus grows in Go's build cache as with go test.
// The test fails on a failing input, or on a child that fails for any
// other reason than Go's own deadline race. Skipped under -short.
func TestFuzzTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzes each target for a while; run without -short")
	}
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if path, err := exec.LookPath("go"); err == nil {
		goCmd = path
	}
	// Building the instrumented binary the first time can take minutes on a
	// loaded machine; later runs only link.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "api.fuzz.test")
	if out, err := exec.CommandContext(ctx, goCmd, "test", "-c", "-o", bin, "-fuzz", "^"+fuzzTargets[0]+"$", ".").CombinedOutput(); err != nil {
		t.Fatalf("build the fuzzing test binary: %v\n%s", err, out)
	}
	cache, err := exec.CommandContext(ctx, goCmd, "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	corpus := filepath.Join(strings.TrimSpace(string(cache)), "fuzz", "journeys", "api")
	for _, target := range fuzzTargets {
		t.Run(target, func(t *testing.T) {
			seeds := filepath.Join("testdata", "fuzz", target)
			before := files(t, seeds)
			start := time.Now()
			// One fuzzing worker: go test ./... runs the other packages' tests
			// beside this one, and the end-to-end ones need the CPU.
			cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.fuzz", "^"+target+"$",
				"-test.fuzztime", fuzzTime.String(), "-test.fuzzcachedir", corpus, "-test.parallel", "1")
			out, err := cmd.CombinedOutput()
			found := slices.DeleteFunc(files(t, seeds), func(f string) bool { return slices.Contains(before, f) })
			switch {
			case len(found) > 0:
				t.Fatalf("fuzzing %s found a failing input, saved as %s: %v\n%s", target, filepath.Join(seeds, found[0]), err, out)
			case err != nil && bytes.Contains(out, []byte("context deadline exceeded")):
				// Go 1.26's fuzzing coordinator can report its own -fuzztime
				// deadline as a failure when a worker is slow to stop
				// (go.dev/issue/75804); no input failed.
				t.Logf("%s: stopped with Go's fuzztime race, no failing input", target)
			case err != nil:
				t.Fatalf("fuzzing %s failed: %v\n%s", target, err, out)
			}
			t.Logf("%s fuzzed in %s; %s", target, time.Since(start).Round(time.Second), lastProgress(out))
		})
	}
}

// files lists the names of the files in dir; none when it does not exist.
func files(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// lastProgress returns the fuzzer's last progress line ("execs: 1234 ..."),
// or "" when it printed none.
func lastProgress(out []byte) string {
	lines := strings.Split(string(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if _, progress, ok := strings.Cut(lines[i], "execs: "); ok {
			return "execs: " + progress
		}
	}
	return ""
}
