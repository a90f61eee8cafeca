// Package processtest tests the journeys binary as production runs it:
// separate OS processes for Temporal (`journeys temporal`), the migration,
// the API and the workers, configured through the environment the README
// documents. Its tests build the binary once and drive it from outside;
// they live apart from cmd/journeys so that `go test ./...` runs them
// alongside that package's tests.
package processtest
