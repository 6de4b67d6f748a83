// Record writes and reads through AtpAgent: createRecord, putRecord,
// getRecord, listRecords, deleteRecord, describeRepo and their errors.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { newAccount, newAgent, post, rawXrpc, rejectsXrpc, succeeds } from './lib.mjs'

const TID = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/
const CID = /^bafyrei[a-z2-7]{52}$/

let me // { agent, did, handle, ... }
let repo // agent.com.atproto.repo
before(async () => {
  me = await newAccount('rec')
  repo = me.agent.com.atproto.repo
})

test('createRecord picks a TID rkey and reports "valid" for a known lexicon', async () => {
  const res = await repo.createRecord({ repo: me.did, collection: 'app.bsky.feed.post', record: post('hello') })
  const m = res.data.uri.match(/^at:\/\/([^/]+)\/app\.bsky\.feed\.post\/([^/]+)$/)
  assert.ok(m, `uri ${res.data.uri}`)
  assert.equal(m[1], me.did)
  assert.match(m[2], TID)
  assert.match(res.data.cid, CID)
  assert.match(res.data.commit.cid, CID)
  assert.match(res.data.commit.rev, TID)
  assert.equal(res.data.validationStatus, 'valid')
})

test('createRecord in an unknown collection reports "unknown"; $type is filled in', async () => {
  const res = await repo.createRecord({
    repo: me.handle,
    collection: 'com.example.interop.thing',
    record: { $type: 'com.example.interop.thing', n: 1, nested: { list: ['a', 2, null, true] } },
  })
  assert.equal(res.data.validationStatus, 'unknown')
  const rkey = res.data.uri.split('/').pop()
  const got = await repo.getRecord({ repo: me.did, collection: 'com.example.interop.thing', rkey })
  assert.deepEqual(got.data.value, {
    $type: 'com.example.interop.thing',
    n: 1,
    nested: { list: ['a', 2, null, true] },
  })
  assert.equal(got.data.cid, res.data.cid)

  const untyped = await repo.createRecord({ repo: me.did, collection: 'com.example.interop.thing', record: { n: 2 } })
  const back = await repo.getRecord({
    repo: me.did,
    collection: 'com.example.interop.thing',
    rkey: untyped.data.uri.split('/').pop(),
  })
  assert.equal(back.data.value.$type, 'com.example.interop.thing')
})

test('createRecord with an rkey that exists is refused', async () => {
  await repo.createRecord({ repo: me.did, collection: 'com.example.interop.thing', rkey: 'taken', record: { n: 1 } })
  await rejectsXrpc(
    repo.createRecord({ repo: me.did, collection: 'com.example.interop.thing', rkey: 'taken', record: { n: 2 } }),
    ['AlreadyExists', 'InvalidRequest', 'InvalidSwap'],
    400,
  )
})

test('putRecord creates, then updates; getRecord by handle and by DID agree', async () => {
  const profile = { $type: 'app.bsky.actor.profile', displayName: 'First' }
  const created = await repo.putRecord({ repo: me.did, collection: 'app.bsky.actor.profile', rkey: 'self', record: profile })
  assert.equal(created.data.uri, `at://${me.did}/app.bsky.actor.profile/self`)
  assert.equal(created.data.validationStatus, 'valid')

  const updated = await repo.putRecord({
    repo: me.did,
    collection: 'app.bsky.actor.profile',
    rkey: 'self',
    record: { ...profile, displayName: 'Second', description: 'updated' },
  })
  assert.equal(updated.data.uri, created.data.uri)
  assert.notEqual(updated.data.cid, created.data.cid)
  assert.notEqual(updated.data.commit.cid, created.data.commit.cid)
  assert.ok(updated.data.commit.rev > created.data.commit.rev, 'rev increases')

  const byDid = await repo.getRecord({ repo: me.did, collection: 'app.bsky.actor.profile', rkey: 'self' })
  const byHandle = await repo.getRecord({ repo: me.handle, collection: 'app.bsky.actor.profile', rkey: 'self' })
  assert.deepEqual(byHandle.data, byDid.data)
  assert.equal(byDid.data.uri, created.data.uri)
  assert.equal(byDid.data.cid, updated.data.cid)
  assert.deepEqual(byDid.data.value, { ...profile, displayName: 'Second', description: 'updated' })

  // getRecord with the current cid finds it; with the old one it does not
  const pinned = await repo.getRecord({ repo: me.did, collection: 'app.bsky.actor.profile', rkey: 'self', cid: updated.data.cid })
  assert.equal(pinned.data.cid, updated.data.cid)
  await rejectsXrpc(
    repo.getRecord({ repo: me.did, collection: 'app.bsky.actor.profile', rkey: 'self', cid: created.data.cid }),
    'RecordNotFound',
    400,
  )
})

// 25 likes made by createRecord, and listRecords paged 10 at a time.
const LIKES = 'app.bsky.feed.like'
let likes // the URIs in creation order
async function makeLikes() {
  if (likes) return likes
  const target = await repo.createRecord({ repo: me.did, collection: 'app.bsky.feed.post', record: post('like me') })
  const subject = { uri: target.data.uri, cid: target.data.cid }
  const made = []
  for (let i = 0; i < 25; i++) {
    const res = await repo.createRecord({
      repo: me.did,
      collection: LIKES,
      record: { $type: LIKES, subject, createdAt: new Date().toISOString() },
    })
    assert.equal(res.data.validationStatus, 'valid')
    made.push(res.data.uri)
  }
  likes = made
  return likes
}

async function pageAll(reverse) {
  const uris = []
  const pages = []
  let cursor
  for (let i = 0; i < 10; i++) {
    const res = await repo.listRecords({ repo: me.did, collection: LIKES, limit: 10, cursor, reverse })
    pages.push(res.data.records.length)
    uris.push(...res.data.records.map((r) => r.uri))
    for (const r of res.data.records) {
      assert.match(r.cid, CID)
      assert.equal(r.value.$type, LIKES)
    }
    cursor = res.data.cursor
    if (!cursor) break
    assert.equal(cursor, uris.at(-1).split('/').pop(), 'cursor is the last rkey of the page')
  }
  return { uris, pages }
}

test('listRecords pages with limit and cursor, both ways, completely', async () => {
  const made = await makeLikes()
  const ascending = [...made].sort()
  assert.deepEqual(made, ascending, 'TID rkeys from createRecord increase')
  for (const reverse of [undefined, true]) {
    const { uris, pages } = await pageAll(reverse)
    assert.deepEqual(pages.slice(0, 3), [10, 10, 5], `page sizes (reverse=${reverse})`)
    assert.ok(pages.slice(3).every((n) => n === 0), `no records after the last page (reverse=${reverse})`)
    assert.equal(new Set(uris).size, uris.length, `no duplicates (reverse=${reverse})`)
    assert.deepEqual([...uris].sort(), ascending, `every record once (reverse=${reverse})`)
    const sorted = [...uris].sort()
    assert.ok(
      uris.join() === sorted.join() || uris.join() === [...sorted].reverse().join(),
      `pages are in rkey order (reverse=${reverse})`,
    )
  }
  const one = await repo.listRecords({ repo: me.handle, collection: LIKES, limit: 1 })
  assert.equal(one.data.records.length, 1)
  await rejectsXrpc(repo.listRecords({ repo: me.did, collection: LIKES, limit: 0 }), 'InvalidRequest', 400)
})

test('listRecords lists newest first by default and oldest first with reverse', async () => {
  // As the reference PDS does (ORDER BY rkey DESC unless reverse).
  const ascending = [...(await makeLikes())].sort()
  const fwd = await pageAll(undefined)
  assert.deepEqual(fwd.uris, [...ascending].reverse(), 'default order is rkey descending')
  const rev = await pageAll(true)
  assert.deepEqual(rev.uris, ascending, 'reverse=true is rkey ascending')
})

test('deleteRecord removes the record; deleting a missing record is a no-op', async () => {
  const res = await repo.createRecord({ repo: me.did, collection: 'app.bsky.feed.post', record: post('short-lived') })
  const rkey = res.data.uri.split('/').pop()
  const del = await repo.deleteRecord({ repo: me.did, collection: 'app.bsky.feed.post', rkey })
  assert.match(del.data.commit?.cid ?? '', CID)
  await rejectsXrpc(repo.getRecord({ repo: me.did, collection: 'app.bsky.feed.post', rkey }), 'RecordNotFound', 400)
  const list = await repo.listRecords({ repo: me.did, collection: 'app.bsky.feed.post', limit: 100 })
  assert.ok(!list.data.records.some((r) => r.uri === res.data.uri), 'deleted record is not listed')
  // deleting again: success without a new commit (output must still match the lexicon)
  const again = await succeeds(repo.deleteRecord({ repo: me.did, collection: 'app.bsky.feed.post', rkey }))
  assert.equal(again.data.commit, undefined)
})

test('describeRepo names the handle, DID, DID document and collections', async () => {
  const res = await repo.describeRepo({ repo: me.handle })
  assert.equal(res.data.did, me.did)
  assert.equal(res.data.handle, me.handle)
  assert.equal(res.data.handleIsCorrect, true)
  assert.equal(res.data.didDoc.id, me.did)
  for (const c of ['app.bsky.feed.post', 'app.bsky.actor.profile', 'app.bsky.feed.like', 'com.example.interop.thing']) {
    assert.ok(res.data.collections.includes(c), `collections include ${c}: ${res.data.collections}`)
  }
  const byDid = await repo.describeRepo({ repo: me.did })
  assert.deepEqual(byDid.data.collections, res.data.collections)
})

test('read errors: missing record, bad NSID, bad rkey, unknown repo', async () => {
  const anon = newAgent().com.atproto.repo
  await rejectsXrpc(anon.getRecord({ repo: me.did, collection: 'app.bsky.feed.post', rkey: '3zzzzzzzzzzzz' }), 'RecordNotFound', 400)
  await rejectsXrpc(anon.getRecord({ repo: me.did, collection: 'not-an-nsid', rkey: 'abc' }), 'InvalidRequest', 400)
  await rejectsXrpc(anon.getRecord({ repo: me.did, collection: 'app.bsky.feed.post', rkey: 'bad rkey' }), 'InvalidRequest', 400)
  await rejectsXrpc(anon.getRecord({ repo: me.did, collection: 'app.bsky.feed.post', rkey: '..' }), 'InvalidRequest', 400)
  await rejectsXrpc(anon.listRecords({ repo: me.did, collection: 'Not An NSID' }), 'InvalidRequest', 400)
  await rejectsXrpc(
    anon.getRecord({ repo: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', collection: 'app.bsky.feed.post', rkey: 'abc' }),
    ['RepoNotFound', 'RecordNotFound'],
    [400, 404],
  )
})

test('write errors: bad NSID, bad rkey, lexicon violations, floats', async () => {
  await rejectsXrpc(repo.createRecord({ repo: me.did, collection: 'no', record: { $type: 'no' } }), 'InvalidRequest', 400)
  await rejectsXrpc(
    repo.putRecord({ repo: me.did, collection: 'com.example.interop.thing', rkey: 'a/b', record: { n: 1 } }),
    'InvalidRequest',
    400,
  )
  await rejectsXrpc(
    repo.createRecord({ repo: me.did, collection: 'com.example.interop.thing', rkey: '.', record: { n: 1 } }),
    'InvalidRequest',
    400,
  )
  // app.bsky.feed.post needs a string text and a createdAt
  await rejectsXrpc(
    repo.createRecord({
      repo: me.did,
      collection: 'app.bsky.feed.post',
      validate: true,
      record: { $type: 'app.bsky.feed.post', text: 42, createdAt: new Date().toISOString() },
    }),
    'InvalidRecord',
    400,
  )
  await rejectsXrpc(
    repo.createRecord({ repo: me.did, collection: 'app.bsky.feed.post', validate: true, record: { $type: 'app.bsky.feed.post', text: 'x' } }),
    'InvalidRecord',
    400,
  )
  // $type must match the collection
  await rejectsXrpc(
    repo.createRecord({ repo: me.did, collection: 'app.bsky.feed.post', record: post('x', { $type: 'app.bsky.feed.like' }) }),
    ['InvalidRecord', 'InvalidRequest'],
    400,
  )
  // the data model has no floats, with or without validation
  for (const validate of [undefined, false]) {
    await rejectsXrpc(
      repo.createRecord({ repo: me.did, collection: 'com.example.interop.thing', validate, record: { x: 1.5 } }),
      ['InvalidRecord', 'InvalidRequest'],
      400,
    )
  }
  // a body that is not JSON at all
  const bad = await rawXrpc('com.atproto.repo.createRecord', {
    method: 'POST',
    token: me.agent.session.accessJwt,
    json: '{"repo":',
  })
  assert.equal(bad.status, 400)
  assert.equal(bad.body.error, 'InvalidRequest')
  const list = await repo.listRecords({ repo: me.did, collection: 'com.example.interop.thing', limit: 100 })
  assert.ok(!list.data.records.some((r) => typeof r.value.x === 'number' && !Number.isInteger(r.value.x)))
})
