package pgcodec

import "math/bits"

// u128 is an unsigned 128-bit magnitude. decimal128.Num's Mul and Div go
// through math/big and allocate; these few operations are all the numeric
// conversions need, on the stack.
type u128 struct{ hi, lo uint64 }

// mulAdd returns x*m + a and whether it fits in 128 bits.
func (x u128) mulAdd(m, a uint64) (u128, bool) {
	hi1, lo := bits.Mul64(x.lo, m)
	hi2, mid := bits.Mul64(x.hi, m)
	hi, c := bits.Add64(hi1, mid, 0)
	lo, c2 := bits.Add64(lo, a, 0)
	hi, c3 := bits.Add64(hi, 0, c2)
	return u128{hi, lo}, hi2 == 0 && c == 0 && c3 == 0
}

// divmod returns x/d and x%d.
func (x u128) divmod(d uint64) (u128, uint64) {
	if x.hi == 0 {
		return u128{0, x.lo / d}, x.lo % d
	}
	qhi, r := x.hi/d, x.hi%d
	qlo, r := bits.Div64(r, x.lo, d)
	return u128{qhi, qlo}, r
}

// divmod10000 is divmod(10000) with a constant divisor on the common path.
func (x u128) divmod10000() (u128, uint64) {
	if x.hi == 0 {
		return u128{0, x.lo / 10000}, x.lo % 10000
	}
	return x.divmod(10000)
}

// divmodPow10 is divmod(10^k) for 1 ≤ k ≤ 4, with constant divisors on
// the common path: a division by a variable costs tens of cycles.
func (x u128) divmodPow10(k int) (u128, uint64) {
	if x.hi == 0 {
		switch k {
		case 1:
			return u128{0, x.lo / 10}, x.lo % 10
		case 2:
			return u128{0, x.lo / 100}, x.lo % 100
		case 3:
			return u128{0, x.lo / 1000}, x.lo % 1000
		case 4:
			return u128{0, x.lo / 10000}, x.lo % 10000
		}
	}
	return x.divmod(pow10u64[k])
}

func (x u128) less(y u128) bool {
	return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo
}

func (x u128) isZero() bool { return x.hi == 0 && x.lo == 0 }

// neg returns the two's complement of x.
func (x u128) neg() u128 {
	lo, c := bits.Add64(^x.lo, 1, 0)
	return u128{^x.hi + c, lo}
}

// pow10u64[i] = 10^i for i ≤ 19.
var pow10u64 = [20]uint64{
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// pow10u128[i] = 10^i for i ≤ 38, the bounds of decimal128 precisions.
var pow10u128 = func() (t [39]u128) {
	t[0] = u128{0, 1}
	for i := 1; i < len(t); i++ {
		t[i], _ = t[i-1].mulAdd(10, 0)
	}
	return t
}()

// mulPow10 returns x*10^k and whether it fits in 128 bits.
func (x u128) mulPow10(k int) (u128, bool) {
	if x.isZero() {
		return x, true
	}
	for k > 0 {
		s := min(k, 19)
		var ok bool
		if x, ok = x.mulAdd(pow10u64[s], 0); !ok {
			return x, false
		}
		k -= s
	}
	return x, true
}
