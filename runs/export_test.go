package runs

import "context"

// SweepUndelivered runs one sweep of undelivered events, as the
// Deliveries' sweep does every SweepEvery.
func (s *Service) SweepUndelivered(ctx context.Context) error { return s.sweepUndelivered(ctx) }
