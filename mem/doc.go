// Package mem holds in-memory implementations of the rhizome contracts, for
// tests and for short-lived work such as verifying a CAR file in memory.
package mem
