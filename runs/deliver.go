package runs

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"

	"journeys/reporting"
	"journeys/workflows/journey"
)

// Defaults of DeliveryOptions.
const (
	// defaultRedeliverAfter is how long an event's own delivery, right
	// after its answer, has to bring it to its runs before the sweep of
	// undelivered events takes it over.
	defaultRedeliverAfter  = 30 * time.Second
	defaultDeliveryWorkers = 256
	defaultDeliveryQueue   = 64
	defaultSweepEvents     = 10 * time.Second
	// sweepLease is how long a claimed event is the sweep's to deliver
	// before another pass, of this process or another, takes it again;
	// it doubles with each attempt Temporal refuses, up to maxSweepLease.
	sweepLease    = time.Minute
	maxSweepLease = 10 * time.Minute
	sweepBatch    = 100
	// defaultGiveUpAfter is how long after it is stored the sweep keeps
	// trying to bring an event to its runs.
	defaultGiveUpAfter = 24 * time.Hour
	// markEvery is how long deliveries gather before they are marked
	// delivered in one write.
	markEvery = 100 * time.Millisecond
	markBatch = 500
)

// DeliveryOptions sizes a Deliveries; zero values take the defaults.
type DeliveryOptions struct {
	// Workers deliver in parallel, each the events of its share of users
	// one after another (256). An event waits behind the signal its
	// worker has in flight for another user, so workers are many and
	// cheap: in BenchmarkHotProcesses (50 purchases a second) the wait was
	// p99 9.5 ms with 32 workers, 0.7 ms with 256.
	Workers int
	// Queue is how many events wait for each worker; an event that finds
	// its worker's queue full is left to the sweep (64: 16,384 in all).
	Queue int
	// SweepEvery is the time between two sweeps of the events nobody
	// delivered (10s).
	SweepEvery time.Duration
	// RedeliverAfter is how long after it is stored an event nobody
	// delivered is the sweep's (30s).
	RedeliverAfter time.Duration
	// GiveUpAfter is how long after it is stored the sweep stops trying an
	// event Temporal keeps refusing (24h). The event stays listed in
	// event_deliveries, with the last error and when it was given up.
	GiveUpAfter time.Duration
}

// delivery is a stored event on its way to the runs it concerns.
type delivery struct {
	workspace string
	event     journey.Event
	runs      []reporting.Enrollment
}

// Deliveries brings stored events to the runs they concern after the events
// are answered. A user's events reach their runs in the order they were
// stored, different users' in parallel. An event it cannot deliver (its
// queue is full, Temporal refuses, the process stops first) stays
// undelivered in the store, and the sweep of undelivered events, which
// every Deliveries runs, brings it once RedeliverAfter has passed: from this
// process or any other, so that a restart loses no event. A redelivered
// event can reach a run twice; runs take an event_id once.
type Deliveries struct {
	svc    *Service
	queues []chan delivery
	seed   maphash.Seed
	every  time.Duration
	after  time.Duration
	giveUp time.Duration

	marks chan reporting.EventKey
	// stop ends the sweep; ctx, canceled by Stop past its deadline, the
	// deliveries and the sweep under way.
	stop   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.RWMutex // guards stopped against the closing of queues
	stopped bool
	workers sync.WaitGroup
	tail    sync.WaitGroup // the marker and the sweep
}

// NewDeliveries returns the deliveries of svc's events, not started.
func NewDeliveries(svc *Service, o DeliveryOptions) *Deliveries {
	if o.Workers <= 0 {
		o.Workers = defaultDeliveryWorkers
	}
	if o.Queue <= 0 {
		o.Queue = defaultDeliveryQueue
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = defaultSweepEvents
	}
	if o.RedeliverAfter <= 0 {
		o.RedeliverAfter = defaultRedeliverAfter
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = defaultGiveUpAfter
	}
	d := &Deliveries{svc: svc, queues: make([]chan delivery, o.Workers), seed: maphash.MakeSeed(), every: o.SweepEvery, after: o.RedeliverAfter, giveUp: o.GiveUpAfter,
		marks: make(chan reporting.EventKey, markBatch), stop: make(chan struct{})}
	for i := range d.queues {
		d.queues[i] = make(chan delivery, o.Queue)
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

// Start starts the workers, the marking of delivered events and the sweep.
func (d *Deliveries) Start() {
	for _, q := range d.queues {
		d.workers.Go(func() {
			for dl := range q {
				d.deliver(dl)
			}
		})
	}
	d.tail.Go(d.mark)
	d.tail.Go(d.sweep)
}

// Stop takes no more events, and waits until the queued ones are delivered
// and marked, and a sweep under way is over, or ctx is done, which cuts
// them short; what is left is the next sweep's, of whichever process.
func (d *Deliveries) Stop(ctx context.Context) {
	d.mu.Lock()
	d.stopped = true
	for _, q := range d.queues {
		close(q)
	}
	d.mu.Unlock()
	close(d.stop)
	finished := make(chan struct{})
	go func() {
		d.workers.Wait()
		close(d.marks)
		d.tail.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		d.cancel()
		<-finished
	}
	d.cancel()
}

// add queues dl behind the user's earlier events; false when it is left
// to the sweep.
func (d *Deliveries) add(dl delivery, userID string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.stopped {
		return false
	}
	q := d.queues[maphash.String(d.seed, dl.workspace+"/"+userID)%uint64(len(d.queues))]
	select {
	case q <- dl:
		return true
	default:
		return false
	}
}

// deliver brings dl to its runs and has it marked delivered; a failure
// leaves it to the sweep.
func (d *Deliveries) deliver(dl delivery) {
	ctx := reporting.WithWorkspace(d.ctx, dl.workspace)
	if err := d.svc.signalRuns(ctx, dl.runs, dl.event); err != nil {
		d.svc.Metrics.EventsDelivered("left_to_sweep", 1)
		d.svc.log().WarnContext(ctx, "event not brought to its runs; the sweep of undelivered events brings it",
			"event_id", dl.event.EventID, "error", err)
		return
	}
	d.svc.Metrics.EventsDelivered("delivered", 1)
	d.marks <- reporting.EventKey{Workspace: dl.workspace, EventID: dl.event.EventID}
}

// mark marks delivered events in batches, until marks is closed. A batch
// that fails is delivered again by the sweep, which the runs ignore.
func (d *Deliveries) mark() {
	tick := time.NewTicker(markEvery)
	defer tick.Stop()
	var batch []reporting.EventKey
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.svc.Store.EventsDelivered(ctx, batch); err != nil {
			d.svc.log().Warn("mark events delivered; the sweep of undelivered events brings them again", "events", len(batch), "error", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case k, ok := <-d.marks:
			if !ok {
				flush()
				return
			}
			if batch = append(batch, k); len(batch) >= markBatch {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// sweep delivers, every d.every until Stop, the events whose delivery is
// overdue.
func (d *Deliveries) sweep() {
	tick := time.NewTicker(d.every)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
			if err := d.sweepUndelivered(d.ctx); err != nil {
				d.svc.log().Warn("sweep of undelivered events", "error", err)
			}
		}
	}
}

// sweepUndelivered brings the events whose delivery is overdue to the
// runs they concern now, and marks them delivered. An event it cannot
// deliver is taken again later, a minute after the first attempt and up to
// ten after later ones, until it is a day old (GiveUpAfter): then it is
// given up, with an error logged and counted.
func (d *Deliveries) sweepUndelivered(ctx context.Context) error {
	s := d.svc
	for {
		due, err := s.Store.ClaimUndeliveredEvents(ctx, sweepLease, maxSweepLease, sweepBatch)
		if err != nil {
			return err
		}
		var delivered []reporting.EventKey
		for _, ev := range due {
			ctx := reporting.WithWorkspace(ctx, ev.Workspace)
			if err := s.redeliver(ctx, ev.Event); err != nil {
				if err := d.notDelivered(ctx, ev, err); err != nil {
					return err
				}
				continue
			}
			delivered = append(delivered, reporting.EventKey{Workspace: ev.Workspace, EventID: ev.EventID})
		}
		if err := s.Store.EventsDelivered(ctx, delivered); err != nil {
			return err
		}
		s.Metrics.EventsDelivered("redelivered", len(delivered))
		if len(due) < sweepBatch {
			return nil
		}
	}
}

// notDelivered records why the sweep could not bring ev to its runs, and
// gives it up once it is older than GiveUpAfter.
func (d *Deliveries) notDelivered(ctx context.Context, ev reporting.UndeliveredEvent, cause error) error {
	s := d.svc
	giveUp := time.Since(ev.ReceivedAt) >= d.giveUp
	key := reporting.EventKey{Workspace: ev.Workspace, EventID: ev.EventID}
	if err := s.Store.EventNotDelivered(ctx, key, cause.Error(), giveUp); err != nil {
		return err
	}
	if !giveUp {
		s.log().WarnContext(ctx, "undelivered event not brought to its runs; the sweep tries again",
			"event_id", ev.EventID, "attempts", ev.Attempts, "error", cause)
		return nil
	}
	s.Metrics.EventsDelivered("given_up", 1)
	s.log().ErrorContext(ctx, "gave up bringing an event to its runs; it stays listed in event_deliveries",
		"event_id", ev.EventID, "received_at", ev.ReceivedAt, "attempts", ev.Attempts, "error", cause)
	return nil
}

// redeliver brings ev to the runs it concerns now.
func (s *Service) redeliver(ctx context.Context, ev reporting.Event) error {
	runs, err := s.Store.ActiveEnrollmentsForEvent(ctx, ev)
	if err != nil {
		return err
	}
	return s.signalRuns(ctx, runs, signalOf(ev))
}

// redeliverAfter is how long a new event has before the sweep delivers it.
func (s *Service) redeliverAfter() time.Duration {
	if s.Deliveries == nil {
		return defaultRedeliverAfter
	}
	return s.Deliveries.after
}

// signalRuns brings event to runs; a run Temporal closed behind the
// service's back is reconciled instead.
func (s *Service) signalRuns(ctx context.Context, runs []reporting.Enrollment, event journey.Event) error {
	for _, e := range runs {
		err := s.Signal(ctx, e, journey.EventSignalName, event)
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) {
			s.reconcile(ctx, e)
			continue
		}
		if err != nil {
			return &UnreachableError{JourneyID: e.JourneyID, Err: err}
		}
	}
	return nil
}
