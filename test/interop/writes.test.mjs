// Batched writes (applyWrites) and compare-and-swap (swapRecord, swapCommit).
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { newAccount, post, rejectsXrpc, succeeds } from './lib.mjs'

const CREATE = 'com.atproto.repo.applyWrites#create'
const UPDATE = 'com.atproto.repo.applyWrites#update'
const DELETE = 'com.atproto.repo.applyWrites#delete'
const POST = 'app.bsky.feed.post'
// Records with chosen rkeys go in a collection with no lexicon here (posts
// need TID keys); note() is such a record.
const NOTE = 'com.example.interop.note'
const note = (text) => ({ $type: NOTE, text })

let me
let repo
before(async () => {
  me = await newAccount('writes')
  repo = me.agent.com.atproto.repo
})

const head = async () => (await me.agent.com.atproto.sync.getLatestCommit({ did: me.did })).data
const get = (rkey, collection = NOTE) => repo.getRecord({ repo: me.did, collection, rkey })
const exists = async (rkey, collection = NOTE) => {
  try {
    return (await get(rkey, collection)).data
  } catch (e) {
    if (e.error === 'RecordNotFound') return null
    throw e
  }
}
const put = (rkey, text) => repo.putRecord({ repo: me.did, collection: NOTE, rkey, record: note(text) })

test('applyWrites creates, updates and deletes in one commit', async () => {
  await put('aw-a', 'a1')
  await put('aw-b', 'b1')
  const before = await head()
  const res = await succeeds(
    repo.applyWrites({
      repo: me.did,
      writes: [
        { $type: CREATE, collection: NOTE, rkey: 'aw-c', value: note('c1') },
        { $type: UPDATE, collection: NOTE, rkey: 'aw-a', value: note('a2') },
        { $type: DELETE, collection: NOTE, rkey: 'aw-b' },
        { $type: CREATE, collection: POST, value: post('a post') },
      ],
    }),
  )
  const [c, a, b, t] = res.data.results
  assert.equal(c.$type, 'com.atproto.repo.applyWrites#createResult')
  assert.equal(c.uri, `at://${me.did}/${NOTE}/aw-c`)
  assert.equal(c.validationStatus, 'unknown')
  assert.equal(a.$type, 'com.atproto.repo.applyWrites#updateResult')
  assert.equal(a.uri, `at://${me.did}/${NOTE}/aw-a`)
  assert.equal(b.$type, 'com.atproto.repo.applyWrites#deleteResult')
  assert.equal(t.$type, 'com.atproto.repo.applyWrites#createResult')
  assert.equal(t.validationStatus, 'valid')
  assert.match(t.uri, new RegExp(`^at://${me.did}/app\\.bsky\\.feed\\.post/[a-z2-7]{13}$`))
  assert.equal((await get(t.uri.split('/').pop(), POST)).data.value.text, 'a post')

  const after = await head()
  assert.equal(after.cid, res.data.commit.cid, 'one new commit is the head')
  assert.equal(after.rev, res.data.commit.rev)
  assert.notEqual(after.cid, before.cid)

  assert.equal((await get('aw-c')).data.value.text, 'c1')
  assert.equal((await get('aw-c')).data.cid, c.cid)
  assert.equal((await get('aw-a')).data.value.text, 'a2')
  assert.equal((await get('aw-a')).data.cid, a.cid)
  assert.equal(await exists('aw-b'), null)
})

test('applyWrites with one failing write changes nothing', async () => {
  await put('af-keep', 'keep')
  await put('af-upd', 'original')
  const before = await head()
  const batches = [
    // the last write breaks its lexicon (a post needs createdAt)
    [
      { $type: CREATE, collection: NOTE, rkey: 'af-new1', value: note('new') },
      { $type: DELETE, collection: NOTE, rkey: 'af-keep' },
      { $type: UPDATE, collection: NOTE, rkey: 'af-upd', value: note('changed') },
      { $type: CREATE, collection: POST, value: { $type: POST, text: 'no createdAt' } },
    ],
    // the last write creates a record that exists
    [
      { $type: CREATE, collection: NOTE, rkey: 'af-new2', value: note('new') },
      { $type: UPDATE, collection: NOTE, rkey: 'af-upd', value: note('changed') },
      { $type: CREATE, collection: NOTE, rkey: 'af-keep', value: note('dup') },
    ],
    // the last write has a float
    [
      { $type: CREATE, collection: NOTE, rkey: 'af-new3', value: note('new') },
      { $type: CREATE, collection: NOTE, value: { $type: NOTE, x: 0.5 } },
    ],
  ]
  for (const [i, writes] of batches.entries()) {
    await rejectsXrpc(
      repo.applyWrites({ repo: me.did, writes }),
      ['InvalidRecord', 'InvalidRequest', 'AlreadyExists'],
      400,
    ).catch((e) => assert.fail(`batch ${i}: ${e.message}`))
  }
  assert.deepEqual(await head(), before, 'no commit was made')
  assert.equal((await get('af-keep')).data.value.text, 'keep')
  assert.equal((await get('af-upd')).data.value.text, 'original')
  for (const rkey of ['af-new1', 'af-new2', 'af-new3']) {
    assert.equal(await exists(rkey), null, `${rkey} was not created`)
  }
  // control: the first batch without its bad write goes through
  await succeeds(repo.applyWrites({ repo: me.did, writes: batches[0].slice(0, -1) }))
  assert.equal((await get('af-new1')).data.value.text, 'new')
  assert.equal(await exists('af-keep'), null)
  assert.equal((await get('af-upd')).data.value.text, 'changed')
})

test('applyWrites with a stale swapCommit is refused with InvalidSwap', async () => {
  const stale = await head()
  await put('as-x', 'moves the head')
  const current = await head()
  await rejectsXrpc(
    repo.applyWrites({
      repo: me.did,
      swapCommit: stale.cid,
      writes: [{ $type: CREATE, collection: NOTE, rkey: 'as-y', value: note('y') }],
    }),
    'InvalidSwap',
    400,
  )
  assert.deepEqual(await head(), current)
  assert.equal(await exists('as-y'), null)
  const ok = await succeeds(
    repo.applyWrites({
      repo: me.did,
      swapCommit: current.cid,
      writes: [{ $type: CREATE, collection: NOTE, rkey: 'as-y', value: note('y') }],
    }),
  )
  assert.equal(ok.data.results[0].uri, `at://${me.did}/${NOTE}/as-y`)
})

test('swapRecord mismatches give InvalidSwap and change nothing', async () => {
  const v1 = await put('cas-r', 'v1')
  const v2 = await put('cas-r', 'v2')
  const before = await head()
  // putRecord against the old version
  await rejectsXrpc(
    repo.putRecord({ repo: me.did, collection: NOTE, rkey: 'cas-r', record: note('v3'), swapRecord: v1.data.cid }),
    'InvalidSwap',
    400,
  )
  // putRecord "must not exist yet" on a record that exists
  await rejectsXrpc(
    repo.putRecord({ repo: me.did, collection: NOTE, rkey: 'cas-r', record: note('v3'), swapRecord: null }),
    'InvalidSwap',
    400,
  )
  // deleteRecord against the old version
  await rejectsXrpc(
    repo.deleteRecord({ repo: me.did, collection: NOTE, rkey: 'cas-r', swapRecord: v1.data.cid }),
    'InvalidSwap',
    400,
  )
  assert.deepEqual(await head(), before, 'no commit was made')
  const cur = await get('cas-r')
  assert.equal(cur.data.cid, v2.data.cid)
  assert.equal(cur.data.value.text, 'v2')

  // the right swapRecord goes through
  const v3 = await repo.putRecord({ repo: me.did, collection: NOTE, rkey: 'cas-r', record: note('v3'), swapRecord: v2.data.cid })
  assert.equal((await get('cas-r')).data.cid, v3.data.cid)
  const fresh = await repo.putRecord({ repo: me.did, collection: NOTE, rkey: 'cas-new', record: note('n'), swapRecord: null })
  assert.equal((await get('cas-new')).data.cid, fresh.data.cid)
  await repo.deleteRecord({ repo: me.did, collection: NOTE, rkey: 'cas-r', swapRecord: v3.data.cid })
  assert.equal(await exists('cas-r'), null)
})

test('swapCommit mismatches give InvalidSwap and change nothing', async () => {
  const stale = await head()
  const r = await put('cas-c', 'c1')
  const before = await head()
  assert.equal(before.cid, r.data.commit.cid)
  await rejectsXrpc(
    repo.createRecord({ repo: me.did, collection: NOTE, rkey: 'cas-c2', record: note('x'), swapCommit: stale.cid }),
    'InvalidSwap',
    400,
  )
  await rejectsXrpc(
    repo.putRecord({ repo: me.did, collection: NOTE, rkey: 'cas-c', record: note('c2'), swapCommit: stale.cid }),
    'InvalidSwap',
    400,
  )
  await rejectsXrpc(
    repo.deleteRecord({ repo: me.did, collection: NOTE, rkey: 'cas-c', swapCommit: stale.cid }),
    'InvalidSwap',
    400,
  )
  assert.deepEqual(await head(), before, 'no commit was made')
  assert.equal((await get('cas-c')).data.value.text, 'c1')
  assert.equal(await exists('cas-c2'), null)

  const ok = await repo.createRecord({ repo: me.did, collection: NOTE, rkey: 'cas-c2', record: note('x'), swapCommit: before.cid })
  assert.equal((await head()).cid, ok.data.commit.cid)
})
