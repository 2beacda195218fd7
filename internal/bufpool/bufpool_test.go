package bufpool

import "testing"

func TestRecycles(t *testing.T) {
	var a Allocator
	b := a.Allocate(100 << 10)
	if len(b) != 100<<10 || cap(b) != 128<<10 {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
	b[0] = 42
	a.Free(b)
	c := a.Allocate(70 << 10) // same class: the pool may hand b back
	if cap(c) != 128<<10 {
		t.Fatalf("cap %d", cap(c))
	}
	d := a.Reallocate(300<<10, c[:10])
	if len(d) != 300<<10 || cap(d) != 512<<10 || d[0] != c[0] {
		t.Fatalf("reallocate: len %d cap %d", len(d), cap(d))
	}
	small := a.Allocate(10)
	if len(small) != 10 {
		t.Fatal(len(small))
	}
	a.Free(small)                 // not pooled: ignored
	a.Free(make([]byte, 100<<10)) // foreign capacity: ignored
	if got := a.Allocate(0); len(got) != 0 {
		t.Fatal(len(got))
	}
}
