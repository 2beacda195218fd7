package command

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// ReorderArgs moves flags in front of positional arguments, so that, as
// with psql, "dbload --create postgres://x" and "dbload postgres://x
// --create" mean the same (urfave/cli, like the flag package, stops at the
// first positional argument). args excludes the program name.
//
// A flag that takes a value (known from flags, plus the help flag) keeps
// the next argument as its value: "--parallel 4". "--name=value" is one
// argument. Everything after "--" stays positional, and "-" alone is
// positional (conventionally stdin or stdout). When there are positional
// arguments, the result separates them with "--", so a positional that
// happens to start with "-" is never read as a flag. Unknown flags are kept
// as flags, without a value, for the parser to reject. With the help flag
// anywhere, the result is the help flag alone. Aliases are rewritten to
// the flag's first name ("-j 4" becomes "--parallel 4"), so that a flag may
// be given in both forms.
func ReorderArgs(flags []cli.Flag, args []string) []string {
	takesValue := map[string]bool{}
	primary := map[string]string{}
	for _, f := range append([]cli.Flag{cli.HelpFlag}, flags...) {
		if f == nil || len(f.Names()) == 0 {
			continue
		}
		tv, ok := f.(interface{ TakesValue() bool })
		for _, name := range f.Names() {
			takesValue[name] = ok && tv.TakesValue()
			primary[name] = f.Names()[0]
		}
	}

	help := map[string]bool{}
	for _, name := range cli.HelpFlag.Names() {
		help[name] = true
	}

	var flagArgs, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if p, ok := primary[name]; ok && p != name && !help[name] {
			// urfave/cli refuses "-t a --tables b" ("two forms of the same
			// flag"): spell every alias as its flag.
			a = "--" + p
			if hasValue {
				a += "=" + value
			}
		}
		flagArgs = append(flagArgs, a)
		if hasValue {
			continue
		}
		if help[name] {
			// urfave/cli would take a positional argument after --help for
			// a help topic.
			return []string{a}
		}
		if takesValue[name] {
			if i+1 == len(args) {
				// The value is missing: let the parser say so, rather
				// than take the "--" added below for the value.
				return flagArgs
			}
			i++
			flagArgs = append(flagArgs, args[i])
		}
	}
	if len(positional) == 0 {
		return flagArgs
	}
	return append(append(flagArgs, "--"), positional...)
}
