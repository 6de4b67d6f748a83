// Package storetest is the conformance suite of the store contract: every
// implementation of store.Store (store/sqlite, and later store/postgres)
// calls Run from its own tests and must pass it unchanged.
//
// The suite checks each method of each interface, every error kind the
// contract promises (NotFound, Exists, Conflict), that failed writes leave
// nothing behind, compare-and-swap under concurrent writers, paging, and
// that data of one DID never leaks into another's. Fixtures are real DRISL
// blocks with their CIDs; commits are commit-shaped but unsigned, since the
// store stores what it is given and verifies neither signatures nor MST
// structure.
package storetest
