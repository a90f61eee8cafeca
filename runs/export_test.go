package runs

import "context"

// SweepUndelivered runs one sweep of undelivered events, as the sweep
// Start begins does every SweepEvery.
func (d *Deliveries) SweepUndelivered(ctx context.Context) error { return d.sweepUndelivered(ctx) }
