package custody

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// signIn checks the two pods are two, reachable pods, signs in to the old
// one and reads the DID, which must name one of them.
func (m *migration) signIn(ctx context.Context) (string, string, error) {
	if err := m.checkPods(ctx); err != nil {
		return "", "", err
	}
	s, err := m.in.From.CreateSession(ctx, m.in.Identifier, m.in.Password)
	if err != nil {
		if rhizome.Is(err, rhizome.Unauthorized) || rhizome.NameOf(err) == "AuthenticationRequired" {
			return "", "", rhizome.Errorf(opStep, rhizome.Unauthorized, "the old pod refused %q and that password: %w", m.in.Identifier, err)
		}
		return "", "", err
	}
	m.old = s
	did, err := plc.ParseDID(s.DID)
	if err != nil {
		return "", "", rhizome.Errorf(opStep, rhizome.Invalid, "%s: only did:plc identities can be moved by this tool: %w", s.DID, err)
	}
	m.did, m.res.DID, m.res.Handle = did, did, s.Handle
	if err := m.checkDID(ctx); err != nil {
		return "", "", err
	}
	state := "active"
	if !s.IsActive() {
		state = "deactivated (an earlier run finished or the account was deactivated there)"
	}
	return StepChecked, "signed in to " + m.from + " as " + s.Handle + " (" + s.DID + "), " + state, nil
}

// checkPods refuses one pod named twice and reads both service DIDs.
func (m *migration) checkPods(ctx context.Context) error {
	var err error
	if m.from, err = CheckEndpoint(m.in.From.URL); err != nil {
		return err
	}
	if m.to, err = CheckEndpoint(m.in.To.URL); err != nil {
		return err
	}
	if m.from == m.to {
		return rhizome.Errorf(opStep, rhizome.Invalid, "--from and --to are the same pod (%s)", m.from)
	}
	fromDID, err := m.in.From.ServiceDID(ctx)
	if err != nil {
		return rhizome.Errorf(opStep, rhizome.KindOf(err), "the old pod %s does not answer: %w", m.from, err)
	}
	if m.toDID, err = m.in.To.ServiceDID(ctx); err != nil {
		return rhizome.Errorf(opStep, rhizome.KindOf(err), "the new pod %s does not answer: %w", m.to, err)
	}
	if fromDID == m.toDID {
		return rhizome.Errorf(opStep, rhizome.Invalid, "--from and --to are the same pod (both are %s)", fromDID)
	}
	return nil
}

// checkDID reads the DID's verified state: it must name the old pod (or
// the new one, when an earlier run updated it), and the user's key, if
// given, must be one of its rotation keys.
func (m *migration) checkDID(ctx context.Context) error {
	l, err := m.t.Fetch(ctx, m.did)
	if err != nil {
		return err
	}
	if err := l.Valid(); err != nil {
		return err
	}
	data, err := l.Data()
	if err != nil {
		return err
	}
	// The DID may spell the old pod's URL otherwise (localhost for
	// 127.0.0.1), or name the new pod already (an earlier run updated it):
	// the identity step compares it with what the new pod recommends.
	m.didPDS, _ = data.PDS()
	if m.didPDS != m.to {
		if m.fromKey, err = data.SigningKey(); err != nil {
			return err
		}
	}
	if m.in.Signer != nil {
		return canSign(l, m.in.Signer)
	}
	return nil
}

// account signs in to the account on the new pod, creating it first
// (deactivated, for the existing DID) if it is not there.
func (m *migration) account(ctx context.Context) (string, string, error) {
	st, err := m.in.To.RepoStatus(ctx, m.did)
	switch {
	case rhizome.Is(err, rhizome.NotFound):
	case err != nil:
		return "", "", err
	default:
		m.exists = true
		if m.cur, err = m.in.To.CreateSession(ctx, string(m.did), m.newPassword()); err != nil {
			return "", "", rhizome.Errorf(opStep, rhizome.KindOf(err),
				"%s has an account on %s already (%s), but the password does not open it: %w", m.did, m.to, st.Status, err)
		}
		return already("the account exists on %s (%s); signed in", m.to, orActive(st.Status))
	}
	if !m.old.IsActive() {
		return "", "", rhizome.Errorf(opStep, rhizome.Invalid, "the account is deactivated on %s and has none on %s; activate it on the old pod first", m.from, m.to)
	}
	if !samePod(m.didPDS, m.from) {
		return "", "", rhizome.Errorf(opStep, rhizome.Invalid, "%s names %q as its PDS, not the old pod %s", m.did, m.didPDS, m.from)
	}
	tok, err := m.in.From.ServiceAuth(ctx, m.old.AccessJWT, m.toDID, string(lxmCreateAccount), 10*time.Minute)
	if err != nil {
		return "", "", rhizome.Errorf(opStep, rhizome.KindOf(err), "the old pod would not vouch for the account (getServiceAuth): %w", err)
	}
	a := m.newAccount(tok)
	if m.in.DryRun {
		return would("create %s on %s for %s, deactivated (the old pod issued the service token)", a.Handle, m.to, m.did)
	}
	if m.cur, err = m.in.To.CreateAccount(ctx, a); err != nil {
		return "", "", err
	}
	m.exists = true
	return done("created %s on %s for %s, deactivated", a.Handle, m.to, m.did)
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

const lxmCreateAccount syntax.NSID = "com.atproto.server.createAccount"

func (m *migration) newAccount(token string) Account {
	a := Account{Handle: m.in.Handle, Email: m.in.Email, Password: m.newPassword(), InviteCode: m.in.InviteCode,
		DID: string(m.did), ServiceToken: token}
	if a.Handle == "" {
		a.Handle = m.old.Handle
	}
	if a.Email == "" {
		a.Email = m.old.Email
	}
	return a
}

// samePod compares two pod URLs, taking localhost and 127.0.0.1 for one
// host.
func samePod(a, b string) bool {
	norm := func(s string) string {
		return strings.Replace(strings.TrimSuffix(s, "/"), "://localhost", "://127.0.0.1", 1)
	}
	return norm(a) == norm(b)
}

func orActive(status string) string {
	if status == "" {
		return "active"
	}
	return status
}

// repository reads the old repository and imports it into the new pod,
// unless the journal says this very tree was imported and the new pod's
// head is still the commit the import made.
func (m *migration) repository(ctx context.Context) (string, string, error) {
	j := m.readJournal()
	if !m.old.IsActive() {
		if m.exists && m.liveOnNew(ctx) {
			return already("the old account is deactivated and the new one live: an earlier run moved the repository")
		}
		return "", "", rhizome.Errorf(opStep, rhizome.Invalid, "the account is deactivated on %s, so its repository cannot be read; activate it there and run again", m.from)
	}
	car, err := m.in.From.download(ctx, "com.atproto.sync.getRepo", url.Values{"did": {string(m.did)}})
	if err != nil {
		return "", "", err
	}
	man, err := checkCAR(ctx, m.did, car.data, m.fromKey)
	if err != nil {
		return "", "", rhizome.Errorf(opStep, rhizome.KindOf(err), "the old pod's repository: %w", err)
	}
	blobs, err := m.in.From.listBlobs(ctx, m.did)
	if err != nil {
		return "", "", err
	}
	m.oldData, m.res.Records, m.res.Blobs = man.Data, man.Records, len(blobs)
	m.in.Observer.totals(man.Records, len(blobs))
	if !m.exists {
		return would("import %d records (%s, rev %s, %d bytes) into %s", man.Records, man.Commit, man.Rev, len(car.data), m.to)
	}
	st, err := m.in.To.AccountStatus(ctx, m.cur.AccessJWT)
	if err != nil {
		return "", "", err
	}
	if st.Activated {
		// Live accounts take writes: importing would replace them.
		return already("the account is live on %s; its repository is not replaced (verify compares it)", m.to)
	}
	if j.Data == man.Data && j.Commit != "" && j.Commit == st.RepoCommit {
		return already("%d records: the new pod holds this tree (%s) from an earlier run", man.Records, man.Data)
	}
	if m.in.DryRun {
		return would("import %d records (%s, rev %s, %d bytes) into %s", man.Records, man.Commit, man.Rev, len(car.data), m.to)
	}
	if err := m.in.To.upload(ctx, "com.atproto.repo.importRepo", m.cur.AccessJWT, "application/vnd.ipld.car", car.data, nil); err != nil {
		return "", "", err
	}
	if st, err = m.in.To.AccountStatus(ctx, m.cur.AccessJWT); err != nil {
		return "", "", err
	}
	if err := m.writeJournal(journal{DID: m.did, To: m.to, Data: man.Data, Commit: st.RepoCommit}); err != nil {
		return "", "", err
	}
	return done("imported %d records (tree %s, %d bytes)", man.Records, man.Data, len(car.data))
}

// noPrefs recognises a reference PDS without an app view, which keeps no
// preferences ("No service configured for app.bsky.actor...").
func noPrefs(err error) bool {
	return err != nil && strings.Contains(err.Error(), "No service configured for app.bsky.actor.")
}

// liveOnNew reports whether the account is active on the new pod.
func (m *migration) liveOnNew(ctx context.Context) bool {
	st, err := m.in.To.AccountStatus(ctx, m.cur.AccessJWT)
	return err == nil && st.Activated
}

// preferences copies the private preferences; putPreferences replaces
// them whole, so copying again is harmless.
func (m *migration) preferences(ctx context.Context) (string, string, error) {
	prefs, err := m.in.From.Preferences(ctx, m.old.AccessJWT)
	if notImplemented(err) || noPrefs(err) {
		return StepSkipped, "the old pod keeps no preferences: " + err.Error(), nil
	}
	if err != nil {
		return "", "", err
	}
	if !m.exists {
		return would("copy the preferences (%d bytes)", len(prefs))
	}
	if have, err := m.in.To.Preferences(ctx, m.cur.AccessJWT); err == nil && sameJSON(have, prefs) {
		return already("the new pod has the same preferences (%d bytes)", len(prefs))
	}
	if m.in.DryRun {
		return would("copy the preferences (%d bytes)", len(prefs))
	}
	if err := m.in.To.PutPreferences(ctx, m.cur.AccessJWT, prefs); notImplemented(err) || noPrefs(err) {
		return StepSkipped, fmt.Sprintf("the new pod keeps no preferences, so yours (%d bytes) were not copied: %v", len(prefs), err), nil
	} else if err != nil {
		return "", "", err
	}
	return done("copied the preferences (%d bytes)", len(prefs))
}

// activate activates the new account, unless it is active.
func (m *migration) activate(ctx context.Context) (string, string, error) {
	if !m.exists {
		return would("activate the account on %s", m.to)
	}
	st, err := m.in.To.AccountStatus(ctx, m.cur.AccessJWT)
	if err != nil {
		return "", "", err
	}
	if st.Activated {
		return already("the account is active on %s", m.to)
	}
	if m.in.DryRun {
		return would("activate the account on %s", m.to)
	}
	if err := m.in.To.ActivateAccount(ctx, m.cur.AccessJWT); err != nil {
		return "", "", err
	}
	return done("activated the account on %s", m.to)
}

// deactivateOld deactivates the old account, unless it is already.
func (m *migration) deactivateOld(ctx context.Context) (string, string, error) {
	if !m.old.IsActive() {
		return already("the account is deactivated on %s", m.from)
	}
	if m.in.DryRun {
		return would("deactivate the account on %s", m.from)
	}
	if err := m.in.From.DeactivateAccount(ctx, m.old.AccessJWT); err != nil {
		return "", "", err
	}
	return done("deactivated the account on %s", m.from)
}
