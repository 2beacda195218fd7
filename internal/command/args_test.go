package command

import (
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestReorderArgs(t *testing.T) {
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "create"},
		&cli.BoolFlag{Name: "analyze"},
		&cli.IntFlag{Name: "parallel", Aliases: []string{"j"}},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}},
		&cli.StringSliceFlag{Name: "tables", Aliases: []string{"t"}},
		&cli.GenericFlag{Name: "chunk-size", Value: NewSize(1)},
	}
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"nothing", nil, nil},
		{"flags first already", []string{"--create", "pg://x"}, []string{"--create", "--", "pg://x"}},
		{"flag after positional", []string{"pg://x", "--create"}, []string{"--create", "--", "pg://x"}},
		{"value flag, separate", []string{"pg://x", "--parallel", "4"}, []string{"--parallel", "4", "--", "pg://x"}},
		{"value flag, equals", []string{"pg://x", "--parallel=4", "--create"}, []string{"--parallel=4", "--create", "--", "pg://x"}},
		{"short alias with value", []string{"pg://x", "-j", "3", "-o", "f.arrows"}, []string{"--parallel", "3", "--output", "f.arrows", "--", "pg://x"}},
		{"alias with equals", []string{"pg://x", "-j=3"}, []string{"--parallel=3", "--", "pg://x"}},
		{"alias and name mixed", []string{"-t", "a", "pg://x", "--tables", "b"}, []string{"--tables", "a", "--tables", "b", "--", "pg://x"}},
		{"single-dash long flag", []string{"pg://x", "-parallel", "3"}, []string{"-parallel", "3", "--", "pg://x"}},
		{"bool flag does not eat the DSN", []string{"--create", "pg://x", "--analyze"}, []string{"--create", "--analyze", "--", "pg://x"}},
		{"bool flag with =false", []string{"pg://x", "--analyze=false"}, []string{"--analyze=false", "--", "pg://x"}},
		{"value that looks like a flag", []string{"pg://x", "--output", "-"}, []string{"--output", "-", "--", "pg://x"}},
		{"value starting with a dash", []string{"--tables", "-weird", "pg://x"}, []string{"--tables", "-weird", "--", "pg://x"}},
		{"generic flag takes a value", []string{"pg://x", "--chunk-size", "32MiB"}, []string{"--chunk-size", "32MiB", "--", "pg://x"}},
		{"double dash keeps the rest positional", []string{"--create", "--", "--not-a-flag", "-j"}, []string{"--create", "--", "--not-a-flag", "-j"}},
		{"flags on both sides", []string{"-j", "2", "pg://x", "--create", "-t", "a,b"}, []string{"--parallel", "2", "--create", "--tables", "a,b", "--", "pg://x"}},
		{"lone dash is positional", []string{"-", "--create"}, []string{"--create", "--", "-"}},
		{"help after positional", []string{"pg://x", "--create", "--help"}, []string{"--help"}},
		{"short help", []string{"-h", "pg://x"}, []string{"-h"}},
		{"unknown flag kept, takes no value", []string{"pg://x", "--bogus", "y"}, []string{"--bogus", "--", "pg://x", "y"}},
		{"value flag at the end, missing value", []string{"pg://x", "--create", "--parallel"}, []string{"--create", "--parallel"}},
		{"two positionals keep their order", []string{"a", "--create", "b"}, []string{"--create", "--", "a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ReorderArgs(flags, tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReorderArgs(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}
