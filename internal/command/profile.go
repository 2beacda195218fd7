package command

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole run to the file named by
// DBMIG_CPUPROFILE (with "%p" replaced by the program name, so one variable
// serves both ends of a pipeline). It is for measuring where a pipeline's
// CPU goes, which on a small machine is CPU taken from the database servers.
func startProfile(prog string) (stop func()) {
	name := os.Getenv("DBMIG_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(expandProg(name, prog))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: DBMIG_CPUPROFILE: %v\n", prog, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "%s: DBMIG_CPUPROFILE: %v\n", prog, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func expandProg(name, prog string) string {
	out := []byte{}
	for i := 0; i < len(name); i++ {
		if name[i] == '%' && i+1 < len(name) && name[i+1] == 'p' {
			out = append(out, prog...)
			i++
			continue
		}
		out = append(out, name[i])
	}
	return string(out)
}
