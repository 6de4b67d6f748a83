// An app signs in with OAuth: the official @atproto/oauth-client-node runs
// the whole flow against the pod (identity resolution through the pod and
// its embedded PLC directory, protected-resource and authorization-server
// metadata, PAR with PKCE and DPoP, the callback, the code exchange), while
// headless Chromium (Debian's chromium driven by playwright-core) plays the
// person: it fills the sign-in page and clicks Allow on the consent page.
// The resulting session then writes and reads records with @atproto/api's
// Agent, is refused outside its scopes, refreshes, and is revoked: on the
// account page when the pod serves one, else by the app signing out; the
// next call fails.
//
// Screenshots of the sign-in, consent (and account) pages go to the folder
// RHIZOME_SCREENSHOTS names (docs/img refreshes the README's), else to a
// temporary folder. Chromium talks to 127.0.0.1 only: every other host
// name fails to resolve, and the page aborts any request elsewhere.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, AtpAgent, XRPCError } from '@atproto/api'
import { NodeOAuthClient, buildAtprotoLoopbackClientMetadata, requestLocalLock } from '@atproto/oauth-client-node'
import { chromium } from 'playwright-core'
import { POD_URL, newAccount, startPlcShim } from './lib.mjs'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const NOTE = 'com.example.interop.note' // no lexicon: any record
const POST = 'app.bsky.feed.post'
const SCOPE = `atproto repo:${NOTE} repo:${POST}?action=create blob:image/*`

// Flags that keep Chromium from calling home: no background networking,
// component updates, sync, first-run or default-browser checks, and a
// resolver that knows no host name (127.0.0.1 is an address, not a name).
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--disable-breakpad',
  '--metrics-recording-only',
  '--no-pings',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
]

let shots, plcShim, callbackServer, browser, page
const offLoopback = [] // requests the page tried to send elsewhere

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: the OAuth browser test needs Debian's chromium (.ci/chromium installs it; make interop-deps runs that)`,
  )
  shots = process.env.RHIZOME_SCREENSHOTS ?? (await mkdtemp(join(tmpdir(), 'rhizome-oauth-shots-')))
  plcShim = await startPlcShim()
  callbackServer = await startCallbackServer()
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  const context = await browser.newContext({ viewport: { width: 720, height: 660 }, deviceScaleFactor: 1 })
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if (url.hostname === '127.0.0.1') return route.continue()
    offLoopback.push(url.href)
    return route.abort('blockedbyclient')
  })
  page = await context.newPage()
})

after(async () => {
  await browser?.close()
  callbackServer?.close()
  plcShim?.close()
  if (!process.env.RHIZOME_SCREENSHOTS && shots) await rm(shots, { recursive: true, force: true })
})

/**
 * startCallbackServer listens on loopback for the app's redirect URI and
 * hands each callback's query to the promise from nextCallback().
 */
async function startCallbackServer() {
  let waiting = []
  const srv = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    if (url.pathname !== '/callback') return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>')
    for (const w of waiting) w(url.searchParams)
    waiting = []
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  srv.redirectURI = `http://127.0.0.1:${srv.address().port}/callback`
  srv.nextCallback = () => new Promise((resolve) => waiting.push(resolve))
  return srv
}

/** memoryStore is the Map-backed state and session store the client needs. */
function memoryStore(init = []) {
  const m = new Map(init)
  return {
    get: async (k) => m.get(k),
    set: async (k, v) => void m.set(k, v),
    del: async (k) => void m.delete(k),
    entries: () => [...m.entries()],
  }
}

/**
 * newClient is a loopback development client resolving identities through
 * the pod; sessions, when given, are the entries of another client's store.
 * Its calls to the pod's token endpoints and record methods are logged in
 * client.calls as "METHOD /path STATUS", with the OAuth error code of a
 * refused token request.
 */
function newClient(sessions = []) {
  const calls = []
  const logged = async (input, init) => {
    const req = new Request(input, init)
    const res = await fetch(req)
    const { pathname, origin } = new URL(req.url)
    if (origin !== POD_URL || !/^\/(oauth\/|xrpc\/com\.atproto\.repo\.)/.test(pathname)) return res
    let call = `${req.method} ${pathname} ${res.status}`
    if (pathname.startsWith('/oauth/') && res.status >= 400) call += ` ${(await res.clone().json()).error}`
    calls.push(call)
    return res
  }
  const sessionStore = memoryStore(sessions)
  const client = new NodeOAuthClient({
    clientMetadata: buildAtprotoLoopbackClientMetadata({ scope: SCOPE, redirect_uris: [callbackServer.redirectURI] }),
    stateStore: memoryStore(),
    sessionStore,
    fetch: logged,
    requestLock: requestLocalLock,
    handleResolver: POD_URL, // com.atproto.identity.resolveHandle on the pod
    plcDirectoryUrl: plcShim.url, // the pod's /plc/, where the client asks for /<did>
    allowHttp: true, // the pod is plain http on loopback
  })
  return Object.assign(client, { calls, sessionStore })
}

/**
 * readableAccount creates alice.test for the screenshots, or on a pod
 * where that handle is taken, alice with random letters.
 */
async function readableAccount() {
  const handle = 'alice.test'
  const password = `pw-${randomBytes(9).toString('base64url')}`
  const agent = new AtpAgent({ service: POD_URL })
  try {
    const res = await agent.createAccount({ handle, email: 'alice@example.test', password })
    return { did: res.data.did, handle, password }
  } catch (e) {
    if (!(e instanceof XRPCError) || !['HandleNotAvailable', 'InvalidHandle'].includes(e.error)) throw e
    return newAccount('alice')
  }
}

/** assertPNG checks a screenshot file is a PNG of some substance. */
async function assertPNG(path) {
  const b = await readFile(path)
  assert.ok(b.length > 5000, `${path}: ${b.length} bytes is too small for a page`)
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${path} is not a PNG`)
}

/** rejectsScope asserts that promise fails with the pod's scope refusal. */
async function rejectsScope(promise, what) {
  const err = await promise.then(
    (res) => assert.fail(`${what}: expected a scope refusal, got ${JSON.stringify(res.data)}`),
    (e) => e,
  )
  assert.ok(err instanceof XRPCError, `${what}: expected an XRPCError, got ${err?.stack ?? err}`)
  assert.equal(err.status, 403, `${what}: ${err.error}: ${err.message}`)
  assert.equal(err.error, 'ScopeMissingError', `${what}: ${err.message}`)
}

test('an app signs in with OAuth through a browser, writes and reads with @atproto/api, and loses access when revoked', async (t) => {
  const acct = await readableAccount()
  const client = newClient()

  // The app: resolve the handle, fetch the metadata, push the request.
  const authorizeURL = await client.authorize(acct.handle, { scope: SCOPE })
  assert.equal(authorizeURL.origin, POD_URL, 'the authorization endpoint is the pod')
  assert.ok(authorizeURL.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'))

  // The person: sign in, then allow.
  const callback = callbackServer.nextCallback()
  await page.goto(authorizeURL.href)
  await page.locator('#identifier').fill(acct.handle)
  await page.locator('#password').fill(acct.password)
  await page.screenshot({ path: join(shots, 'oauth-signin.png'), fullPage: true })
  await page.getByRole('button', { name: 'Sign in' }).click()
  const allow = page.getByRole('button', { name: 'Allow' })
  await allow.waitFor()
  const consent = await page.locator('main, body').first().innerText()
  assert.match(consent, new RegExp(acct.handle.replace(/\./g, '\\.')), 'the consent page names the account')
  assert.match(consent, new RegExp(NOTE.replace(/\./g, '\\.')), 'the consent page names the collection')
  await page.screenshot({ path: join(shots, 'oauth-consent.png'), fullPage: true })
  await allow.click()
  const params = await callback
  assert.ok(params.get('code'), `callback without a code: ${params}`)
  assert.equal(params.get('iss'), POD_URL, 'the callback names the issuer')

  // The app: exchange the code; the session is the account's.
  const { session } = await client.callback(params)
  assert.equal(session.did, acct.did)
  const info = await session.getTokenInfo()
  assert.equal(new URL(info.aud).origin, POD_URL, 'the resource server is the pod')
  assert.deepEqual(info.scope.split(' ').sort(), SCOPE.split(' ').sort())

  const agent = new Agent(session)
  await t.test('writes and reads a record within its scope', async () => {
    const made = await agent.com.atproto.repo.createRecord({
      repo: session.did,
      collection: NOTE,
      record: { $type: NOTE, text: 'written over OAuth', createdAt: new Date().toISOString() },
    })
    assert.match(made.data.uri, new RegExp(`^at://${session.did}/${NOTE}/`))
    const rkey = made.data.uri.split('/').pop()
    const got = await agent.com.atproto.repo.getRecord({ repo: session.did, collection: NOTE, rkey })
    assert.equal(got.data.cid, made.data.cid)
    assert.equal(got.data.value.text, 'written over OAuth')
    const post = await agent.com.atproto.repo.createRecord({
      repo: session.did,
      collection: POST,
      record: { $type: POST, text: 'hello from an app', createdAt: new Date().toISOString() },
    })
    assert.equal(post.data.validationStatus, 'valid')
  })

  await t.test('is refused outside its scopes', async () => {
    await rejectsScope(
      agent.com.atproto.repo.createRecord({
        repo: session.did,
        collection: 'app.bsky.graph.follow',
        record: { $type: 'app.bsky.graph.follow', subject: session.did, createdAt: new Date().toISOString() },
      }),
      'create in a collection not granted',
    )
    const posts = await agent.com.atproto.repo.listRecords({ repo: session.did, collection: POST })
    const rkey = posts.data.records[0].uri.split('/').pop()
    await rejectsScope(
      agent.com.atproto.repo.deleteRecord({ repo: session.did, collection: POST, rkey }),
      'delete where only create is granted',
    )
  })

  await t.test('refreshes its tokens and keeps working', async () => {
    const before = await session.getTokenInfo(false)
    client.calls.length = 0
    const after = await session.getTokenInfo(true)
    assert.deepEqual(client.calls, ['POST /oauth/token 200'], 'one refresh at the token endpoint')
    assert.ok(after.expiresAt >= before.expiresAt, 'the refreshed token expires no earlier')
    const r = await agent.com.atproto.repo.listRecords({ repo: session.did, collection: NOTE })
    assert.equal(r.data.records.length, 1)
  })

  await t.test('loses access once the grant is revoked', async () => {
    // A copy of the session as it stands, tokens and DPoP key, to try
    // after the revocation: the pod, not the client, must refuse it.
    const copy = newClient(client.sessionStore.entries())
    const res = await fetch(`${POD_URL}/account`)
    if (res.status === 404) {
      t.diagnostic('account page not present: revoking by signing the app out instead')
      await session.signOut()
    } else {
      assert.equal(res.status, 200, `GET /account: ${res.status}`)
      await revokeOnAccountPage(acct)
    }
    const write = (a) =>
      a.com.atproto.repo.createRecord({
        repo: session.did,
        collection: NOTE,
        record: { $type: NOTE, text: 'after revocation', createdAt: new Date().toISOString() },
      })
    await assert.rejects(write(agent), 'a write after revocation must fail')
    const stale = new Agent(await copy.restore(session.did, false))
    await assert.rejects(write(stale), 'a write with the revoked tokens must fail')
    // The copy's first try may be refused for its DPoP nonce alone (also
    // 401), the retry for the token; then the refresh is refused.
    assert.deepEqual(
      [...new Set(copy.calls)],
      ['POST /xrpc/com.atproto.repo.createRecord 401', 'POST /oauth/token 400 invalid_grant'],
      'the pod refuses the revoked access token, then the refresh token',
    )
    const records = await agent.com.atproto.repo.listRecords({ repo: session.did, collection: NOTE }).catch((e) => e)
    assert.ok(records instanceof Error, 'reads with the session fail too')
  })

  for (const name of ['oauth-signin.png', 'oauth-consent.png']) await assertPNG(join(shots, name))
  assert.deepEqual(offLoopback, [], 'the pages asked for nothing off loopback')
})

/**
 * revokeOnAccountPage signs in on the pod's account page, takes its
 * screenshot, and clicks revoke on the app's grant.
 */
async function revokeOnAccountPage(acct) {
  await page.goto(`${POD_URL}/account`)
  await page.locator('#identifier').fill(acct.handle)
  await page.locator('#password').fill(acct.password)
  await page.getByRole('button', { name: /sign in/i }).click()
  const revoke = page.getByRole('button', { name: /revoke/i })
  await revoke.first().waitFor()
  await page.screenshot({ path: join(shots, 'account.png'), fullPage: true })
  await assertPNG(join(shots, 'account.png'))
  // The app's grant: the innermost block naming its domain with a revoke
  // button (the page also lists the account's sessions and app passwords).
  const grant = page
    .locator('li, tr, article, section, form, div')
    .filter({ hasText: 'localhost' })
    .filter({ has: revoke })
    .last()
  assert.ok((await grant.count()) > 0, 'the account page lists the app (localhost) with a revoke button')
  await grant.getByRole('button', { name: /revoke/i }).first().click()
  await grant.waitFor({ state: 'detached' }) // the page no longer lists the app
}
