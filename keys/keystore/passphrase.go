package keystore

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/term"

	"github.com/rhizome-pds/rhizome"
)

// EnvVar is the environment variable a passphrase may come from, for
// automation.
const EnvVar = "RHIZOME_PASSPHRASE"

// maxPassphraseFile bounds a passphrase file.
const maxPassphraseFile = 4 << 10

// Source says where a command finds the passphrase of a key file. The
// first that applies wins: File if set; else the EnvVar environment
// variable if it is set; else the terminal on In, without echo.
type Source struct {
	File    string    // path of a file whose first line is the passphrase (--passphrase-file)
	Prompt  string    // terminal prompt; "" means "Passphrase"
	Confirm bool      // on the terminal, ask twice and compare (for a new key)
	In      *os.File  // the terminal; nil means os.Stdin
	Out     io.Writer // where prompts go; nil means os.Stderr
}

// Passphrase reads the passphrase from the first source that applies. The
// caller should clear the result when done. An empty passphrase, a
// mismatched confirmation, or no source at all is rhizome.Invalid.
func (s Source) Passphrase() ([]byte, error) {
	const op = "read passphrase"
	var p []byte
	var err error
	switch env, ok := os.LookupEnv(EnvVar); {
	case s.File != "":
		p, err = fromFile(s.File)
	case ok:
		p, err = fromEnv(env)
	default:
		p, err = s.fromTerminal()
	}
	if err != nil {
		return nil, rhizome.E(op, rhizome.KindOf(err), err)
	}
	return p, nil
}

// fromFile reads the first line of path, without its line ending.
func fromFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, rhizome.Errorf("", rhizome.NotFound, "passphrase file %s does not exist", path)
	}
	if err != nil {
		return nil, rhizome.E("", rhizome.Other, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
	defer clear(b)
	if err != nil {
		return nil, rhizome.E("", rhizome.Other, err)
	}
	if len(b) > maxPassphraseFile {
		return nil, rhizome.Errorf("", rhizome.Invalid, "passphrase file %s is larger than %d bytes", path, maxPassphraseFile)
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	return nonEmpty(bytes.TrimSuffix(line, []byte{'\r'}), "passphrase file "+path)
}

// fromEnv takes the passphrase from the environment variable's value.
func fromEnv(v string) ([]byte, error) {
	return nonEmpty([]byte(v), EnvVar)
}

// nonEmpty returns a copy of p, or an error naming where it came from if
// it is empty.
func nonEmpty(p []byte, from string) ([]byte, error) {
	if len(p) == 0 {
		return nil, rhizome.Errorf("", rhizome.Invalid, "%s holds an empty passphrase", from)
	}
	return bytes.Clone(p), nil
}

// fromTerminal prompts on the terminal with echo off.
func (s Source) fromTerminal() ([]byte, error) {
	in, out := s.In, s.Out
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stderr
	}
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		return nil, rhizome.Errorf("", rhizome.Invalid,
			"no passphrase: not on a terminal; use --passphrase-file or set %s", EnvVar)
	}
	read := func() ([]byte, error) { return term.ReadPassword(fd) }
	return ask(read, out, s.Prompt, s.Confirm)
}

// ask prompts for a passphrase with read, which returns one line without
// its line ending, and when confirm is set asks again and compares.
func ask(read func() ([]byte, error), out io.Writer, prompt string, confirm bool) ([]byte, error) {
	if prompt == "" {
		prompt = "Passphrase"
	}
	p, err := askOnce(read, out, prompt+": ")
	if err != nil || !confirm {
		return p, err
	}
	again, err := askOnce(read, out, "Repeat "+lowerFirst(prompt)+": ")
	defer clear(again)
	if err != nil {
		clear(p)
		return nil, err
	}
	if subtle.ConstantTimeCompare(p, again) != 1 {
		clear(p)
		return nil, rhizome.E("", rhizome.Invalid, "the two passphrases do not match")
	}
	return p, nil
}

func askOnce(read func() ([]byte, error), out io.Writer, prompt string) ([]byte, error) {
	fmt.Fprint(out, prompt)
	p, err := read()
	fmt.Fprintln(out) // the user's Enter was not echoed
	if err != nil {
		return nil, rhizome.E("", rhizome.Other, err)
	}
	if len(p) == 0 {
		return nil, rhizome.E("", rhizome.Invalid, "empty passphrase")
	}
	return p, nil
}

// lowerFirst lower-cases an ASCII first letter: "Passphrase" → "passphrase".
func lowerFirst(s string) string {
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
