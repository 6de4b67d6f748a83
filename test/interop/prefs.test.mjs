// Private preferences (app.bsky.actor.getPreferences/putPreferences),
// held by the pod itself, through AtpAgent.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { POD_URL, newAccount, newAgent, rejectsXrpc } from './lib.mjs'

const adult = { $type: 'app.bsky.actor.defs#adultContentPref', enabled: true }
const details = { $type: 'app.bsky.actor.defs#personalDetailsPref', birthDate: '1990-01-01T00:00:00.000Z' }
const feeds = {
  $type: 'app.bsky.actor.defs#savedFeedsPrefV2',
  items: [{ id: 'f1', type: 'timeline', value: 'following', pinned: true }],
}

test('putPreferences then getPreferences round-trips the whole set, in order', async () => {
  const { agent } = await newAccount('prefs')
  const empty = await agent.app.bsky.actor.getPreferences()
  assert.deepEqual(empty.data.preferences, [])
  await agent.app.bsky.actor.putPreferences({ preferences: [feeds, adult] })
  const got = await agent.app.bsky.actor.getPreferences()
  assert.deepEqual(got.data.preferences, [feeds, adult])
  // put replaces everything
  await agent.app.bsky.actor.putPreferences({ preferences: [adult] })
  assert.deepEqual((await agent.app.bsky.actor.getPreferences()).data.preferences, [adult])
})

test("the agent's own preference helpers work against the pod", async () => {
  const { agent } = await newAccount('prefh')
  await agent.setAdultContentEnabled(true)
  await agent.addSavedFeeds([{ type: 'feed', value: 'at://did:plc:abc/app.bsky.feed.generator/x', pinned: true }])
  const prefs = await agent.getPreferences()
  assert.equal(prefs.moderationPrefs.adultContentEnabled, true)
  assert.ok(
    prefs.savedFeeds.some((f) => f.value === 'at://did:plc:abc/app.bsky.feed.generator/x' && f.pinned),
    `saved feeds ${JSON.stringify(prefs.savedFeeds)}`,
  )
})

test('preferences are served by the pod even with an atproto-proxy header', async () => {
  const { agent } = await newAccount('prefp')
  await agent.app.bsky.actor.putPreferences({ preferences: [adult] })
  const proxied = agent.withProxy('bsky_appview', 'did:web:api.bsky.app')
  const got = await proxied.app.bsky.actor.getPreferences()
  assert.deepEqual(got.data.preferences, [adult])
})

test('an app password neither sees nor sets personal details, and keeps them', async () => {
  const { agent, handle } = await newAccount('prefa')
  await agent.app.bsky.actor.putPreferences({ preferences: [details, adult] })
  const pw = await agent.com.atproto.server.createAppPassword({ name: 'prefs app' })
  const app = newAgent()
  await app.login({ identifier: handle, password: pw.data.password })
  assert.deepEqual((await app.app.bsky.actor.getPreferences()).data.preferences, [adult])
  await rejectsXrpc(app.app.bsky.actor.putPreferences({ preferences: [details] }), 'InvalidRequest', 400)
  await app.app.bsky.actor.putPreferences({ preferences: [feeds] })
  assert.deepEqual((await agent.app.bsky.actor.getPreferences()).data.preferences, [details, feeds])
})

test('preferences outside app.bsky are refused and change nothing', async () => {
  const { agent, created } = await newAccount('prefx')
  await agent.app.bsky.actor.putPreferences({ preferences: [adult] })
  const res = await fetch(`${POD_URL}/xrpc/app.bsky.actor.putPreferences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${created.accessJwt}` },
    body: JSON.stringify({ preferences: [adult, { $type: 'com.example.pref', x: 1 }] }),
  })
  assert.equal(res.status, 400)
  assert.equal((await res.json()).error, 'InvalidRequest')
  assert.deepEqual((await agent.app.bsky.actor.getPreferences()).data.preferences, [adult])
  await rejectsXrpc(newAgent().app.bsky.actor.getPreferences(), 'AuthenticationRequired', 401)
})
