//go:build !linux

package s3test

import "syscall"

// procAttr has no parent-death signal outside Linux: a test process killed
// without running its cleanups leaves its server running.
func procAttr() *syscall.SysProcAttr { return nil }
