package command

import (
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress shows how far a command has got: a bar on stderr when stderr is
// a terminal, or with --progress=always on a non-terminal a log line every
// 10 seconds. A nil *Progress is valid and shows nothing, so commands call
// it unconditionally. Its methods are safe for concurrent use.
type Progress struct {
	con   *Console
	desc  string
	bytes bool

	mu    sync.Mutex
	bar   *progressbar.ProgressBar // on a terminal
	done  int64
	total int64 // <= 0: unknown

	stop    chan struct{} // the log ticker, off a terminal
	stopped chan struct{}
	once    sync.Once
}

// Progress starts a progress display named desc counting to total (<= 0:
// unknown), in bytes if bytes is set, else in items. It returns nil when
// --progress (or auto on a non-terminal) says to show nothing.
func (c *Console) Progress(desc string, total int64, bytes bool) *Progress {
	switch {
	case c.progress == "never", c.progress == "auto" && !c.out.terminal:
		return nil
	}
	p := &Progress{con: c, desc: desc, bytes: bytes, total: total}
	if c.out.terminal {
		max := total
		if max <= 0 {
			max = -1 // a spinner with a running count
		}
		p.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(barWriter{c.out}),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowBytes(bytes),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionUseIECUnits(true),
		)
		return p
	}
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go p.logEvery(c.progressEvery)
	return p
}

// ProgressMode returns the --progress flag: "auto", "always" or "never".
func (c *Console) ProgressMode() string { return c.progress }

// Add counts n more bytes or items done.
func (p *Progress) Add(n int64) {
	if p == nil || n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.bar == nil {
		return
	}
	if p.total > 0 && p.done >= p.total {
		// The total was an estimate and it was low. Keep the bar below
		// full: it stops drawing once full.
		p.total = p.done + p.done/8 + 1
		p.bar.ChangeMax64(p.total)
	}
	_ = p.bar.Add64(n) // only fails on a bar misconfiguration; never fatal
}

// Finish stops the display and erases the bar.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		if p.stop != nil {
			close(p.stop)
			<-p.stopped
		}
		p.mu.Lock()
		if p.bar != nil {
			_ = p.bar.Exit()
		}
		p.mu.Unlock()
		p.con.out.clearBar()
	})
}

func (p *Progress) logEvery(d time.Duration) {
	defer close(p.stopped)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			done, total := p.done, p.total
			p.mu.Unlock()
			args := []any{"done", p.amount(done)}
			if total > 0 {
				args = append(args, "of", p.amount(total), "percent", min(100, done*100/total))
			}
			p.con.Logger.Info(p.desc+" progress", args...)
		}
	}
}

func (p *Progress) amount(n int64) any {
	if p.bytes {
		return HumanBytes(n)
	}
	return n
}
