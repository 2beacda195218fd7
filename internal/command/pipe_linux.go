package command

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the buffer asked for a pipe between two dbmig processes.
// Linux gives pipes 64 KiB by default, so a producer writing 256 KiB at a
// time blocks and wakes its consumer several times per write; on a machine
// whose cores the database servers already keep busy those context switches
// are measurable (docs/BENCH.md). 1 MiB is the default limit for
// unprivileged processes (/proc/sys/fs/pipe-max-size).
const pipeSize = 1 << 20

// growPipe enlarges f's pipe buffer if f is a pipe; anything else, or a
// refusal (a lower system limit), is left as it is.
func growPipe(f any) {
	file, ok := f.(*os.File)
	if !ok {
		return
	}
	st, err := file.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	_, _ = unix.FcntlInt(file.Fd(), unix.F_SETPIPE_SZ, pipeSize)
}
