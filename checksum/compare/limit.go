package compare

import (
	"context"
	"time"
)

// limiter keeps the rows read from one side under a rate, by sleeping
// between batches: a database side then waits on its socket, and the
// server on its send buffer, so the server is slowed too.
type limiter struct {
	rate  float64 // rows per second; 0: no limit
	start time.Time
	rows  int64
}

func newLimiter(rowsPerSec int64) *limiter {
	return &limiter{rate: float64(rowsPerSec)}
}

// wait accounts n more rows and sleeps until they are within the rate.
func (l *limiter) wait(ctx context.Context, n int64) error {
	if l == nil || l.rate <= 0 {
		return nil
	}
	if l.start.IsZero() {
		l.start = time.Now()
	}
	l.rows += n
	ahead := time.Duration(float64(l.rows)/l.rate*float64(time.Second)) - time.Since(l.start)
	if ahead <= 0 {
		return nil
	}
	t := time.NewTimer(ahead)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
