//go:build nodev

package main

import (
	"errors"
	"log/slog"
)

// embeddedTemporal is false in the production build (-tags nodev), which
// leaves out the Temporal server and UI: they are most of the binary, and
// a production deployment has its own cluster.
const embeddedTemporal = false

// errNoDev explains what to run instead of `journeys dev`.
var errNoDev = errors.New("this binary was built for production (-tags nodev) without the embedded Temporal server: " +
	"run `journeys serve` against a Temporal cluster, or `go run ./cmd/journeys dev` from the source")

// devTemporal stands in for the embedded server, which this build lacks.
type devTemporal struct{}

func startDevTemporal(frontendAddr, uiAddr, dataDir, namespace string, logger *slog.Logger) (*devTemporal, error) {
	return nil, errNoDev
}

// Stop does nothing: there is no server.
func (*devTemporal) Stop() {}
