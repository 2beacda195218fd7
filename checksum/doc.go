// Package checksum compares table data across engines: a canonical, versioned
// encoding of every Arrow value (equal data encodes equal whichever engine it
// came from), a 128-bit row hash over it, an order-independent digest of a set
// of rows, and an order-preserving encoding of primary keys so that key ranges
// are cut in one order on every side, never in an engine's collation.
//
// docs/CHECKSUM.md is the normative description of encoding version 2; this
// package and that document must agree. The comparison itself (sides, key
// ranges, bisection, reports) is in checksum/compare.
package checksum

// Version is the version of the canonical encoding. Digests of different
// versions must never be compared.
const Version = 2
