package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys/keystore"
	"github.com/rhizome-pds/rhizome/keys/recovery"
)

// createdOut is create's --json output. The phrase is in it: whoever runs
// create --json is responsible for keeping that output secret.
type createdOut struct {
	DID         string   `json:"did"`
	Handle      string   `json:"handle"`
	Pod         string   `json:"pod"`
	RotationKey string   `json:"rotationKey"`
	KeyFile     string   `json:"keyFile"`
	Phrase      []string `json:"phrase"`
	Warning     string   `json:"warning,omitempty"`
}

// idCreate makes the recovery phrase and the rotation key it derives,
// stores the key encrypted, creates the account with the key first among
// the DID's rotation keys, verifies that, and prints the DID and the
// phrase once.
func idCreate(ctx context.Context, f *idFlags, pos []string) error {
	if len(pos) != 0 || f.pod == "" || f.handle == "" || f.email == "" {
		return usageErr("usage: rhizome identity create --pod URL --handle HANDLE --email EMAIL [--password-file F] [--invite CODE] [--key NAME]")
	}
	password, err := f.accountPassword()
	if err != nil {
		return err
	}
	phrase, err := recovery.New()
	if err != nil {
		return err
	}
	defer phrase.Wipe()
	entry, err := f.storeRotationKey(phrase)
	if err != nil {
		return err
	}
	pod := f.podClient(f.pod)
	c, err := f.tool().CreateAccount(ctx, pod, custody.Account{Handle: f.handle, Email: f.email,
		Password: password, InviteCode: f.invite}, entry.PublicKey.DIDKey())
	if c == nil {
		return fmt.Errorf("create account (your key is stored in %s; nothing else was made): %w", entry.Path, err)
	}
	out := createdOut{DID: string(c.DID), Handle: c.Session.Handle, Pod: pod.URL,
		RotationKey: entry.PublicKey.DIDKey(), KeyFile: entry.Path, Phrase: phrase.Words()}
	if err != nil {
		out.Warning = err.Error() // the account exists: still show the phrase
	}
	if perr := f.emit(out, createdText(out)); perr != nil {
		return perr
	}
	return err
}

// storeRotationKey derives the phrase's key and writes it to the keystore,
// encrypted with a passphrase asked twice on the terminal.
func (f *idFlags) storeRotationKey(p recovery.Phrase) (keystore.Entry, error) {
	s, err := p.RotationKey()
	if err != nil {
		return keystore.Entry{}, err
	}
	dir, path, err := f.keyPath()
	if err != nil {
		return keystore.Entry{}, err
	}
	if _, err := keystore.Read(path); err == nil {
		return keystore.Entry{}, usageErr(fmt.Sprintf("%s exists already: name the new key with --key NAME", path))
	}
	pass, err := keystore.Source{File: f.passphraseFile, Confirm: true, Prompt: "New passphrase for your rotation key"}.Passphrase()
	if err != nil {
		return keystore.Entry{}, err
	}
	defer clear(pass)
	name := strings.TrimSuffix(path[len(dir)+1:], keystore.Ext)
	return keystore.Create(dir, name, s, pass, "did:plc rotation key (rhizome identity create)")
}

func createdText(o createdOut) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Created %s (%s) on %s.\n", o.DID, o.Handle, o.Pod)
	fmt.Fprintf(&sb, "Your rotation key %s is first among the DID's rotation keys,\n", o.RotationKey)
	fmt.Fprintf(&sb, "stored encrypted in %s.\n", o.KeyFile)
	if o.Warning != "" {
		fmt.Fprintf(&sb, "\nWARNING: %s\n", o.Warning)
	}
	sb.WriteString("\nRECOVERY PHRASE: write these 24 words down now, in order. They are shown once and\n")
	sb.WriteString("stored nowhere. With them alone you can take this identity back from any host.\n\n")
	sb.WriteString(phraseBlock(o.Phrase))
	return sb.String()
}
