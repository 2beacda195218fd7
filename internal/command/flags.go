package command

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// Names of the common flags.
const (
	FlagLogLevel  = "log-level"
	FlagLogFormat = "log-format"
	FlagProgress  = "progress"
)

// CommonFlags returns the flags every dbmig binary has (fresh values on
// each call). Read them with NewConsole.
func CommonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{
			Name: FlagLogLevel, Value: NewChoice("info", "debug", "info", "warn", "error"),
			Usage: "log `LEVEL` on stderr: debug, info, warn or error", EnvVars: []string{"DBMIG_LOG_LEVEL"},
		},
		&cli.GenericFlag{
			Name: FlagLogFormat, Value: NewChoice("text", "text", "json"),
			Usage: "log `FORMAT` on stderr: text or json", EnvVars: []string{"DBMIG_LOG_FORMAT"},
		},
		&cli.GenericFlag{
			Name: FlagProgress, Value: NewChoice("auto", "auto", "always", "never"),
			Usage:   "progress `MODE`: auto (a bar when stderr is a terminal), always (a bar, or a log line every 10s when stderr is not a terminal) or never",
			EnvVars: []string{"DBMIG_PROGRESS"},
		},
	}
}

// Choice is a flag value restricted to a fixed set of words. A value outside
// the set is a usage error that names the flag, the value and the choices.
type Choice struct {
	Value   string
	Allowed []string
}

// NewChoice returns a Choice set to def.
func NewChoice(def string, allowed ...string) *Choice {
	return &Choice{Value: def, Allowed: allowed}
}

// Set implements flag.Value.
func (c *Choice) Set(s string) error {
	for _, a := range c.Allowed {
		if s == a {
			c.Value = s
			return nil
		}
	}
	return fmt.Errorf("want %s", orList(c.Allowed))
}

func (c *Choice) String() string { return c.Value }

func orList(words []string) string {
	switch len(words) {
	case 0:
		return "nothing"
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// ChoiceOf returns the value of the Choice flag name.
func ChoiceOf(c *cli.Context, name string) string {
	if ch, ok := c.Generic(name).(*Choice); ok {
		return ch.Value
	}
	return ""
}

// Size is a flag value holding a byte count, written with an optional unit:
// B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024),
// case-insensitive, e.g. 32MiB, 1.5GB, 65536.
type Size int64

// Set implements flag.Value.
func (s *Size) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// String writes the size exactly, in the largest binary unit that divides it.
func (s *Size) String() string {
	n := int64(*s)
	for _, u := range []struct {
		name string
		mul  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mul == 0 {
			return strconv.FormatInt(n/u.mul, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// NewSize returns a Size of n bytes, for a flag's default.
func NewSize(n int64) *Size { s := Size(n); return &s }

// SizeOf returns the value of the Size flag name.
func SizeOf(c *cli.Context, name string) int64 {
	if s, ok := c.Generic(name).(*Size); ok {
		return int64(*s)
	}
	return 0
}

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses a byte size such as "32MiB", "1.5 GB" or "4096".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number with an optional unit, such as 32MiB", s)
	}
	mul, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, t[i:])
	}
	v := f * mul
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// HumanBytes formats n for people: "1.3 GiB".
func HumanBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, units[i])
}

// Arg returns the one positional argument a command takes, named what in
// messages ("SOURCE_DSN"). None, or more than one, is a usage error.
func Arg(c *cli.Context, what string) (string, error) {
	switch c.NArg() {
	case 0:
		return "", Usagef("missing %s", what)
	case 1:
		return c.Args().First(), nil
	}
	return "", Usagef("unexpected argument %q after %s (give one %s; flags may go before or after it)", Redact(c.Args().Get(1)), what, what)
}

// Rate formats a throughput in MB/s (10^6 bytes per second).
func Rate(bytes int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MB/s", float64(bytes)/1e6/d.Seconds())
}
