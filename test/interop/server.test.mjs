// Accounts, sessions and app passwords through AtpAgent.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { POD_URL, newAccount, newAgent, rejectsXrpc, uniqueLabel } from './lib.mjs'

const bearer = (tok) => ({ headers: { authorization: `Bearer ${tok}` } })

test('describeServer names the handle domains and the server DID', async () => {
  const res = await newAgent().com.atproto.server.describeServer()
  assert.ok(res.data.availableUserDomains.includes('.test'), `domains ${res.data.availableUserDomains}`)
  assert.match(res.data.did, /^did:(web|plc):/)
  assert.equal(res.data.inviteCodeRequired, false)
})

test('createAccount gives a did:plc, tokens and a DID document naming the pod', async () => {
  const { agent, did, handle, created } = await newAccount('acct')
  assert.match(did, /^did:plc:[a-z2-7]{24}$/)
  assert.equal(created.handle, handle)
  assert.ok(created.accessJwt && created.refreshJwt, 'tokens present')
  assert.equal(agent.session?.did, did)
  const doc = await (await fetch(`${POD_URL}/plc/${did}`)).json()
  assert.deepEqual(doc.alsoKnownAs, [`at://${handle}`])
  const pds = doc.service.find((s) => s.id === '#atproto_pds' || s.id === `${did}#atproto_pds`)
  assert.equal(pds?.serviceEndpoint, POD_URL)
  const who = await agent.com.atproto.identity.resolveHandle({ handle })
  assert.equal(who.data.did, did)
})

test('createAccount refuses a taken handle and a bad handle', async () => {
  const { handle } = await newAccount('dup')
  const agent = newAgent()
  await rejectsXrpc(
    agent.createAccount({ handle, email: `${uniqueLabel('o')}@example.test`, password: 'long-enough-pw' }),
    'HandleNotAvailable',
    400,
  )
  await rejectsXrpc(
    agent.createAccount({ handle: 'x.test', email: `${uniqueLabel('o')}@example.test`, password: 'long-enough-pw' }),
    'InvalidHandle',
    400,
  )
})

test('createSession by handle and by email; wrong password refused', async () => {
  const { did, handle, email, password } = await newAccount('login')
  for (const identifier of [handle, email, did]) {
    const agent = newAgent()
    const res = await agent.login({ identifier, password })
    assert.equal(res.data.did, did, `login as ${identifier}`)
    assert.equal(res.data.handle, handle)
    assert.equal(agent.session?.did, did)
  }
  await rejectsXrpc(newAgent().login({ identifier: handle, password: password + 'x' }), 'AuthenticationRequired', 401)
  await rejectsXrpc(
    newAgent().login({ identifier: `${uniqueLabel('nobody')}.test`, password }),
    'AuthenticationRequired',
    401,
  )
})

test('getSession returns the account', async () => {
  const { agent, did, handle, email } = await newAccount('sess')
  const res = await agent.com.atproto.server.getSession()
  assert.equal(res.data.did, did)
  assert.equal(res.data.handle, handle)
  assert.equal(res.data.email, email)
  assert.equal(res.data.active, true)
  // getSession's output has no tokens; clients merge it into their session
  assert.equal(res.data.accessJwt, undefined, 'getSession must not return accessJwt')
  assert.equal(res.data.refreshJwt, undefined, 'getSession must not return refreshJwt')
})

test('refreshSession rotates tokens; the old refresh token is refused afterwards', async () => {
  const { did, created } = await newAccount('refr')
  const fresh = newAgent()
  const res = await fresh.com.atproto.server.refreshSession(undefined, bearer(created.refreshJwt))
  assert.equal(res.data.did, did)
  assert.match(res.data.accessJwt, /^[\w-]+\.[\w-]+\.[\w-]+$/)
  assert.match(res.data.refreshJwt, /^[\w-]+\.[\w-]+\.[\w-]+$/)
  // (an access token made in the same second may equal the old one: no jti)
  assert.notEqual(res.data.refreshJwt, created.refreshJwt)

  const me = await fresh.com.atproto.server.getSession(undefined, bearer(res.data.accessJwt))
  assert.equal(me.data.did, did)
  await rejectsXrpc(
    fresh.com.atproto.server.refreshSession(undefined, bearer(created.refreshJwt)),
    ['ExpiredToken', 'InvalidToken'],
    [400, 401],
  )
  // the new refresh token works (once)
  const again = await fresh.com.atproto.server.refreshSession(undefined, bearer(res.data.refreshJwt))
  assert.equal(again.data.did, did)
})

test("AtpAgent's own session refresh leaves it with working tokens", async () => {
  // CredentialSession.refreshSession calls getSession when refreshSession's
  // output lacks didDoc or emailConfirmed and merges its fields over the new
  // tokens, so getSession must not answer with (empty) token fields.
  const { agent, did } = await newAccount('agref')
  const old = { ...agent.session }
  await agent.sessionManager.refreshSession()
  assert.match(agent.session.accessJwt ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/, 'agent access token after refresh')
  assert.match(agent.session.refreshJwt ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/, 'agent refresh token after refresh')
  assert.notEqual(agent.session.refreshJwt, old.refreshJwt)
  assert.equal((await agent.com.atproto.server.getSession()).data.did, did)
})

test('deleteSession (logout) revokes the refresh token', async () => {
  const { handle, password, did } = await newAccount('logout')
  const agent = newAgent()
  await agent.login({ identifier: handle, password })
  const refresh = agent.session.refreshJwt
  await agent.logout()
  assert.equal(agent.session, undefined)
  await rejectsXrpc(
    newAgent().com.atproto.server.refreshSession(undefined, bearer(refresh)),
    ['ExpiredToken', 'InvalidToken'],
    [400, 401],
  )
  assert.ok(did)
})

test('app passwords: create, log in, list, revoke', async () => {
  const { agent, handle, did } = await newAccount('apppw')
  const created = await agent.com.atproto.server.createAppPassword({ name: 'interop app' })
  assert.equal(created.data.name, 'interop app')
  assert.match(created.data.password, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/)

  const app = newAgent()
  const login = await app.login({ identifier: handle, password: created.data.password })
  assert.equal(login.data.did, did)
  const rec = await app.com.atproto.repo.createRecord({
    repo: did,
    collection: 'app.bsky.feed.post',
    record: { $type: 'app.bsky.feed.post', text: 'via app password', createdAt: new Date().toISOString() },
  })
  assert.match(rec.data.uri, new RegExp(`^at://${did}/app\\.bsky\\.feed\\.post/`))

  await rejectsXrpc(agent.com.atproto.server.createAppPassword({ name: 'interop app' }), 'DuplicateName', 400)
  // an app-password session may not make app passwords
  await rejectsXrpc(
    app.com.atproto.server.createAppPassword({ name: 'from the app' }),
    ['InvalidToken', 'Forbidden', 'AuthenticationRequired'],
    [400, 401, 403],
  )

  const list = await agent.com.atproto.server.listAppPasswords()
  assert.deepEqual(
    list.data.passwords.map((p) => p.name),
    ['interop app'],
  )
  assert.ok(!('password' in list.data.passwords[0]), 'list must not reveal passwords')

  await agent.com.atproto.server.revokeAppPassword({ name: 'interop app' })
  const after = await agent.com.atproto.server.listAppPasswords()
  assert.deepEqual(after.data.passwords, [])
  await rejectsXrpc(
    newAgent().login({ identifier: handle, password: created.data.password }),
    'AuthenticationRequired',
    401,
  )
})

test('bad authentication is refused with the XRPC error names', async () => {
  const { did, created } = await newAccount('badauth')
  const anon = newAgent()
  await rejectsXrpc(anon.com.atproto.server.getSession(), 'AuthenticationRequired', 401)
  await rejectsXrpc(
    anon.com.atproto.repo.createRecord({
      repo: did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'x', createdAt: new Date().toISOString() },
    }),
    'AuthenticationRequired',
    401,
  )
  await rejectsXrpc(
    anon.com.atproto.server.getSession(undefined, bearer('not.a.jwt')),
    'InvalidToken',
    [400, 401],
  )
  // a refresh token is not an access token
  await rejectsXrpc(
    anon.com.atproto.server.getSession(undefined, bearer(created.refreshJwt)),
    'InvalidToken',
    [400, 401],
  )
  // an access token is not a refresh token
  await rejectsXrpc(
    anon.com.atproto.server.refreshSession(undefined, bearer(created.accessJwt)),
    'InvalidToken',
    [400, 401],
  )
  // not a bearer token at all
  await rejectsXrpc(
    anon.com.atproto.server.getSession(undefined, { headers: { authorization: 'Basic Zm9vOmJhcg==' } }),
    'AuthenticationRequired',
    401,
  )
  // a token whose signature was tampered with
  const [h, p, s] = created.accessJwt.split('.')
  const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1)
  await rejectsXrpc(
    anon.com.atproto.server.getSession(undefined, bearer(`${h}.${p}.${flipped}`)),
    'InvalidToken',
    [400, 401],
  )
})
