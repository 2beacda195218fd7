package main

import (
	"os"

	"github.com/dbmig/dbmig/internal/command"
)

func main() {
	command.Main(newEnv(os.Stdout, os.Stderr).app())
}
