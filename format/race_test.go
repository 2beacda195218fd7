//go:build race

package format

// The byte-by-byte tests take minutes under the race detector; there they
// sample every few bytes (the race build exists for the concurrent tests).
const raceEnabled = true
