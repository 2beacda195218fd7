//go:build !linux

package command

// growPipe is a no-op where pipe buffers cannot be resized.
func growPipe(any) {}
