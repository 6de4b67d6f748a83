package keystore

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a fresh pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx (the terminal test needs a pseudo-terminal): %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	return m, s
}

// TestSource_Passphrase_Terminal types a passphrase into a pseudo-terminal
// once echo is off and checks it is read, and never echoed back.
func TestSource_Passphrase_Terminal(t *testing.T) {
	unsetEnv(t)
	master, slave := openPTY(t)
	defer master.Close()
	type result struct {
		p   []byte
		err error
	}
	done := make(chan result, 1)
	var prompts bytes.Buffer
	go func() {
		p, err := Source{In: slave, Out: &prompts, Prompt: "Key passphrase"}.Passphrase()
		done <- result{p, err}
	}()
	waitEcho(t, slave, false)
	if _, err := master.Write([]byte("hunter2\n")); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || string(r.p) != "hunter2" {
		t.Fatalf("got %q, %v; want hunter2", r.p, r.err)
	}
	waitEcho(t, slave, true) // ReadPassword restores the terminal
	slave.Close()
	echoed := drain(master)
	if bytes.Contains(echoed, []byte("hunter2")) {
		t.Fatalf("terminal echoed the passphrase: %q", echoed)
	}
	if prompts.String() != "Key passphrase: \n" {
		t.Fatalf("prompts = %q", prompts.String())
	}
}

// waitEcho waits until the terminal's ECHO flag is on (or off).
func waitEcho(t *testing.T, tty *os.File, on bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatalf("get termios: %v", err)
		}
		if (tio.Lflag&unix.ECHO != 0) == on {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("terminal echo never became %v", on)
}

// drain reads what the terminal sent back until the slave side is gone.
func drain(master *os.File) []byte {
	master.SetReadDeadline(time.Now().Add(2 * time.Second))
	var buf bytes.Buffer
	io.Copy(&buf, master)
	return buf.Bytes()
}
