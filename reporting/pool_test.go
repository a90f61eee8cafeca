package reporting_test

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"journeys/reporting/dbtest"
)

// Statements prepared on connections Postgres has since dropped (a
// restart, a failover) are prepared again on new ones.
func TestPreparedStatementsOutliveTheirConnections(t *testing.T) {
	s, dbURL := dbtest.New(t)
	j := newJourney(t, s, "cart")
	ctx := dbtest.Ctx()
	if _, err := s.Journey(ctx, "cart"); err != nil {
		t.Fatal(err)
	}
	const drop = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE datname = current_database() AND pid <> pg_backend_pid()`
	// From a connection of its own, so that every one of the store's goes.
	other, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var dropped int
	if err := other.GetContext(ctx, &dropped, `SELECT count(*) FROM (`+drop+`) d`); err != nil || dropped == 0 {
		t.Fatalf("dropped %d connections, %v; want the store's", dropped, err)
	}
	for i := range 3 {
		if _, err := s.Journey(ctx, "cart"); err != nil {
			t.Errorf("read the journey after the connections were dropped (%d): %v", i, err)
		}
		if _, _, err := s.ClaimEnrollment(ctx, claim(j, "u1")); err != nil {
			t.Errorf("claim after the connections were dropped (%d): %v", i, err)
		}
	}
}
