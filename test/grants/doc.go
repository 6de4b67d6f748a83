// Package grants tests OAuth grants end to end against a live pod: the
// scope enforcement table generated from the pod's route table, and
// revocation.
package grants
