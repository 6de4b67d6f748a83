// Package rhizome holds the vocabulary shared by every part of the pod: the
// error type with its kinds, and the small interfaces (such as Blocks) that
// storage implementations satisfy. Implementations live in packages named
// after what they wrap; only package main wires concrete types together.
package rhizome
