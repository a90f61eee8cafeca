package api_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// maxImportHeap is how far the heap may grow while the API imports a file,
// whatever its size: the file is streamed into Postgres, never held.
const maxImportHeap = 64 << 20

// BenchmarkImportMemory uploads a 100 MB audience file and reports how far
// the heap grew at its peak and how much was allocated per MB of file. It
// fails when the peak passes maxImportHeap. Run it with
//
//	go test -run '^$' -bench ImportMemory -benchtime 1x ./api/
func BenchmarkImportMemory(b *testing.B) {
	const size = 100 << 20
	srv, _, _ := newImportServer(b)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		journey := fmt.Sprintf("bench%d", i)
		createJourney(b, srv.URL, journey)
		b.StartTimer()

		var status int
		peak, alloc := measureHeap(func() {
			status = upload(b, srv.URL, journey, &audienceStream{size: size})
		})
		if status != http.StatusAccepted {
			b.Fatalf("import answered %d, want 202", status)
		}
		peakMiB, allocPerMiB := float64(peak)/(1<<20), float64(alloc)/float64(size>>20)/(1<<20)
		b.ReportMetric(peakMiB, "peak-heap-MiB")
		b.ReportMetric(allocPerMiB, "alloc-MiB/MiB")
		b.Logf("%d MiB file: the heap grew by %.0f MiB at its peak; %.1f MiB allocated per MiB", size>>20, peakMiB, allocPerMiB)
		if peak > maxImportHeap {
			b.Errorf("the heap grew by %d MiB importing a %d MiB file, want at most %d MiB",
				peak>>20, size>>20, maxImportHeap>>20)
		}
	}
}

// measureHeap runs f and returns how far the heap grew above where it
// started at its peak (sampled every millisecond) and how many bytes f
// allocated.
func measureHeap(f func()) (peak, alloc uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stop, highest := make(chan struct{}), make(chan uint64)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var top uint64
		for {
			metrics.Read(sample)
			top = max(top, sample[0].Value.Uint64())
			select {
			case <-stop:
				highest <- top
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	top := <-highest
	runtime.ReadMemStats(&after)
	if top > before.HeapAlloc {
		peak = top - before.HeapAlloc
	}
	return peak, after.TotalAlloc - before.TotalAlloc
}

// audienceStream is an audience CSV of about size bytes, made as it is
// read so that the client holds none of it: a header, then rows with an
// email, a phone and two attributes.
type audienceStream struct {
	size, read int64
	row        int
	line, rest []byte
}

func (a *audienceStream) Read(p []byte) (int, error) {
	if len(a.rest) == 0 {
		if a.read >= a.size {
			return 0, io.EOF
		}
		if a.row == 0 {
			a.line = append(a.line[:0], "user_id,email,phone,first_name,plan\n"...)
		} else {
			a.line = fmt.Appendf(a.line[:0], "u%08d,u%08d@example.com,+98912%07d,Name %d,gold\n", a.row, a.row, a.row%10_000_000, a.row)
		}
		a.row++
		a.rest = a.line
	}
	n := copy(p, a.rest)
	a.rest = a.rest[n:]
	a.read += int64(n)
	return n, nil
}
