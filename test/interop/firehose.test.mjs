// The firehose (com.atproto.sync.subscribeRepos) read by the official
// consumer while AtpAgent writes: @atproto/sync's Firehose validates every
// message against the lexicon and authenticates every #commit (signature by
// the DID document's key, each op proven by verifyProofs), its IdResolver
// reading the pod's embedded PLC directory. On top of that every #commit of
// our accounts is inverted with @atproto/repo's MST (Sync 1.1: undoing the
// ops on the event's blocks alone gives prevData), revs chain from since,
// seq has no gap, and the ops seen are exactly the writes made.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
// @atproto/identity is @atproto/sync's own dependency (its Firehose takes an
// IdResolver), pinned to 0.5.10 in package.json's overrides: 0.5.13+ pulls in
// undici 8, which needs Node 22's zlib zstd and fails to load on Node 20.
import { IdResolver } from '@atproto/identity'
import { MST, MemoryBlockstore, def, readCarWithRoot, verifyCommitSig } from '@atproto/repo'
import { Firehose } from '@atproto/sync'
import { POD_URL, newAccount, post, signingDidKey, startPlcShim, succeeds } from './lib.mjs'

const POST = 'app.bsky.feed.post'
const NOTE = 'com.example.interop.note' // no lexicon here: any rkey
const CREATE = 'com.atproto.repo.applyWrites#create'
const UPDATE = 'com.atproto.repo.applyWrites#update'
const DELETE = 'com.atproto.repo.applyWrites#delete'
const TYPE = 'com.atproto.sync.subscribeRepos#'
const SEED = Number(process.env.FIREHOSE_SEED ?? Date.now() % 1e9)

/** newIdResolver resolves did:plc through the shim and refuses handle lookups (they would leave loopback). */
function newIdResolver(shim) {
  const ids = new IdResolver({ plcUrl: shim.url, timeout: 5000 })
  ids.handle.resolve = async (h) => {
    throw new Error(`handle resolution of ${h} would leave loopback`)
  }
  return ids
}

/**
 * RecordingFirehose is the official Firehose that also keeps every message
 * it processed (lexicon-validated, in stream order) and the events its
 * handler was given (authenticated ops, identity, account).
 */
class RecordingFirehose extends Firehose {
  constructor(cursor, shim) {
    const state = { raw: [], handled: [], errors: [], last: cursor }
    super({
      service: POD_URL.replace(/^http/, 'ws'),
      idResolver: newIdResolver(shim),
      unauthenticatedHandles: true, // handles are *.test: resolving them would leave loopback
      getCursor: () => state.last,
      subscriptionReconnectDelay: 200,
      handleEvent: (evt) => void state.handled.push(evt),
      onError: (err) => void state.errors.push(err),
    })
    this.state = state
  }

  // processEvt is called for each message in turn; a message is recorded
  // once the handler has had its events.
  async processEvt(evt) {
    await super.processEvt(evt)
    this.state.raw.push(evt)
    if (evt.seq !== undefined) this.state.last = evt.seq
  }
}

/** explain renders an error with its causes for assertion messages. */
function explain(err) {
  const parts = []
  for (let e = err; e; e = e.cause) parts.push(e.stack ?? String(e))
  return parts.join('\n  caused by: ')
}

/** waitFor polls cond until it holds or ms pass, then fails with what(). */
async function waitFor(cond, ms, what) {
  for (const deadline = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what()}`)
  }
}

/** rng is a seeded generator (an LCG) so a failing run can be replayed with FIREHOSE_SEED. */
function rng(seed) {
  let a = seed >>> 0
  return () => (a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32
}

const opKey = (action, path, cid, prev) => `${action} ${path} ${cid ?? '-'} prev=${prev ?? '-'}`

/**
 * Writer makes one account's writes through AtpAgent and remembers, per
 * commit rev, the ops each write should put on the firehose.
 */
class Writer {
  constructor(account, seed) {
    this.a = account
    this.rand = rng(seed)
    this.live = new Map() // path → CID string of every live record
    this.commits = new Map() // rev → op keys
    this.ops = 0
    this.n = 0
  }

  get repo() {
    return this.a.agent.com.atproto.repo
  }

  value(collection) {
    const text = `${this.a.handle} #${this.n++}`
    return collection === POST ? post(text) : { $type: NOTE, text, n: this.n }
  }

  pick(exclude = new Set()) {
    const paths = [...this.live.keys()].filter((p) => !exclude.has(p))
    return paths.length ? paths[Math.floor(this.rand() * paths.length)] : undefined
  }

  expect(commit, ops) {
    assert.ok(commit?.rev, 'the write reports its commit')
    assert.ok(!this.commits.has(commit.rev), `rev ${commit.rev} reported twice`)
    this.commits.set(commit.rev, ops)
    this.ops += ops.length
  }

  async create() {
    const r = await succeeds(this.repo.createRecord({ repo: this.a.did, collection: POST, record: this.value(POST) }))
    const path = r.data.uri.split('/').slice(-2).join('/')
    this.live.set(path, r.data.cid)
    this.expect(r.data.commit, [opKey('create', path, r.data.cid)])
  }

  async put(path) {
    const [collection, rkey] = path.split('/')
    const prev = this.live.get(path)
    const r = await succeeds(this.repo.putRecord({ repo: this.a.did, collection, rkey, record: this.value(collection) }))
    this.live.set(path, r.data.cid)
    this.expect(r.data.commit, [opKey(prev ? 'update' : 'create', path, r.data.cid, prev)])
  }

  async del(path) {
    const [collection, rkey] = path.split('/')
    const prev = this.live.get(path)
    const r = await succeeds(this.repo.deleteRecord({ repo: this.a.did, collection, rkey }))
    this.live.delete(path)
    this.expect(r.data.commit, [opKey('delete', path, null, prev)])
  }

  /** batch makes one applyWrites of creates (half with TID keys), updates and deletes. */
  async batch(creates, updates, deletes) {
    const writes = []
    const used = new Set()
    for (let i = 0; i < creates; i++) {
      if (i % 2) writes.push({ $type: CREATE, collection: POST, value: this.value(POST) })
      else writes.push({ $type: CREATE, collection: NOTE, rkey: `b${this.n}x${i}`, value: this.value(NOTE) })
    }
    const changed = (action, n) => {
      for (let i = 0; i < n; i++) {
        const path = this.pick(used)
        if (!path) return
        used.add(path)
        const [collection, rkey] = path.split('/')
        writes.push(action === UPDATE ? { $type: action, collection, rkey, value: this.value(collection) } : { $type: action, collection, rkey })
      }
    }
    changed(UPDATE, updates)
    changed(DELETE, deletes)
    const r = await succeeds(this.repo.applyWrites({ repo: this.a.did, writes }))
    assert.equal(r.data.results.length, writes.length)
    const ops = writes.map((w, i) => {
      const res = r.data.results[i]
      const path = w.$type === DELETE ? `${w.collection}/${w.rkey}` : res.uri.split('/').slice(-2).join('/')
      const prev = this.live.get(path)
      if (w.$type === DELETE) {
        this.live.delete(path)
        return opKey('delete', path, null, prev)
      }
      this.live.set(path, res.cid)
      return opKey(w.$type === CREATE ? 'create' : 'update', path, res.cid, prev)
    })
    this.expect(r.data.commit, ops)
  }

  /** run makes a mixed workload; empty ends with every record deleted. */
  async run(empty) {
    for (let i = 0; i < 20; i++) await this.create()
    for (let i = 0; i < 12; i++) await this.put(`${NOTE}/p${i}`)
    for (let i = 0; i < 30; i++) {
      const x = this.rand()
      const path = this.pick()
      if (x < 0.4 && path) await this.put(path)
      else if (x < 0.7 && path) await this.del(path)
      else await this.create()
    }
    for (let i = 0; i < 8; i++) await this.batch(4, 3, 3)
    await this.batch(80, 10, 10)
    while (empty && this.live.size > 0) await this.batch(0, 0, 100)
  }
}

/**
 * checkCommit verifies a #commit on its own blocks: the CAR's root is the
 * commit, signed by key, for this repo and rev; each op's record is in the
 * blocks; undoing the ops on the MST gives prevData. Returns the commit's data CID.
 */
async function checkCommit(evt, key) {
  const where = `#commit seq ${evt.seq} (${evt.repo} rev ${evt.rev})`
  const car = await readCarWithRoot(evt.blocks)
  assert.ok(car.root.equals(evt.commit), `${where}: CAR root ${car.root} is not the commit ${evt.commit}`)
  const blocks = new MemoryBlockstore(car.blocks)
  const commit = await blocks.readObj(car.root, def.commit)
  assert.equal(commit.version, 3, where)
  assert.equal(commit.did, evt.repo, `${where}: commit object's did`)
  assert.equal(commit.rev, evt.rev, `${where}: commit object's rev`)
  assert.ok(await verifyCommitSig(commit, key), `${where}: signature does not verify with ${key}`)
  assert.equal(evt.tooBig, false, where)
  assert.equal(evt.rebase, false, where)

  let tree = MST.load(blocks, commit.data)
  for (const op of evt.ops) {
    const at = `${where} op ${op.action} ${op.path}`
    try {
      const found = await tree.get(op.path)
      if (op.action === 'create') {
        assert.equal(op.prev, undefined, `${at}: a create has no prev`)
        assert.ok(found?.equals(op.cid), `${at}: tree has ${found}, op says ${op.cid}`)
        tree = await tree.delete(op.path)
      } else if (op.action === 'update') {
        assert.ok(op.prev, `${at}: an update needs prev (Sync 1.1)`)
        assert.ok(found?.equals(op.cid), `${at}: tree has ${found}, op says ${op.cid}`)
        tree = await tree.update(op.path, op.prev)
      } else {
        assert.equal(op.action, 'delete', `${at}: unknown action`)
        assert.equal(op.cid, null, `${at}: a delete has cid null`)
        assert.ok(op.prev, `${at}: a delete needs prev (Sync 1.1)`)
        assert.equal(found, null, `${at}: the key is still in the tree`)
        tree = await tree.add(op.path, op.prev)
      }
      if (op.cid) assert.ok(car.blocks.has(op.cid), `${at}: record block ${op.cid} is not in the blocks`)
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e
      assert.fail(`${at}: inverting on the event's blocks failed: ${explain(e)}`)
    }
  }
  const inverted = await tree.getPointer()
  if (evt.since === null) {
    const empty = await (await MST.create(new MemoryBlockstore())).getPointer()
    assert.ok(inverted.equals(empty), `${where}: a first commit must start from the empty tree`)
    assert.ok(!evt.prevData || evt.prevData.equals(empty), `${where}: prevData ${evt.prevData} on a first commit`)
  } else {
    assert.ok(evt.prevData, `${where}: prevData is missing (Sync 1.1)`)
    assert.ok(inverted.equals(evt.prevData), `${where}: ops invert to ${inverted}, prevData is ${evt.prevData}`)
  }
  return commit.data
}

const isType = (evt, t) => evt.$type === TYPE + t
const eventDid = (evt) => (isType(evt, 'commit') ? evt.repo : evt.did)

let shim // the PLC path shim
let hose // RecordingFirehose from cursor 0
let writers // Writer per account
const started = Date.now()
before(async () => {
  shim = await startPlcShim()
  hose = new RecordingFirehose(0, shim)
  hose.start()
  const accounts = await Promise.all([newAccount('fha'), newAccount('fhb')])
  writers = accounts.map((a, i) => new Writer(a, SEED + i))
  await Promise.all(writers.map((w, i) => w.run(i === 1)))
  const lastRev = new Map(writers.map((w) => [w.a.did, [...w.commits.keys()].pop()]))
  const seen = ([did, rev]) => hose.state.raw.some((e) => isType(e, 'commit') && e.repo === did && e.rev === rev)
  await waitFor(() => [...lastRev].every(seen), 20000, () => `each account's last commit (seed ${SEED}); errors: ${hose.state.errors.map(explain)}`)
})

after(async () => {
  await hose?.destroy()
  shim?.close()
  console.log(
    `firehose: seed ${SEED}, ${hose?.state.raw.length} messages, ${writers?.reduce((n, w) => n + w.ops, 0)} ops in ` +
      `${writers?.reduce((n, w) => n + w.commits.size, 0)} commits, ${Date.now() - started} ms`,
  )
})

test('the official Firehose reports no validation, parse or connection error', () => {
  assert.deepEqual(hose.state.errors.map(explain), [])
  assert.ok(writers.every((w) => w.ops > 150), 'a few hundred ops were written')
})

test('seq starts after the cursor and has no gap', () => {
  const seqs = hose.state.raw.map((e) => e.seq)
  assert.ok(seqs.length > 0)
  assert.equal(seqs[0], 1, 'cursor 0 replays from the first event')
  for (let i = 1; i < seqs.length; i++) {
    assert.equal(seqs[i], seqs[i - 1] + 1, `seq after ${seqs[i - 1]} (message ${i}, ${hose.state.raw[i].$type})`)
  }
})

test('account creation emits #identity, #account, #commit in that order', () => {
  for (const w of writers) {
    const mine = hose.state.raw.filter((e) => eventDid(e) === w.a.did)
    const [identity, account, commit] = mine
    assert.deepEqual(mine.slice(0, 3).map((e) => e.$type), [TYPE + 'identity', TYPE + 'account', TYPE + 'commit'], w.a.did)
    assert.equal(identity.handle, w.a.handle)
    assert.equal(account.active, true)
    assert.equal(account.status, undefined)
    assert.equal(commit.since, null)
    assert.deepEqual(commit.ops, [])
    const handled = hose.state.handled.filter((e) => e.did === w.a.did && (e.event === 'identity' || e.event === 'account'))
    assert.deepEqual(handled.map((e) => e.event), ['identity', 'account'])
    assert.equal(handled[0].didDocument?.id, w.a.did, 'the Firehose resolved the DID document from the embedded PLC')
    assert.equal(handled[1].active, true)
  }
})

test('every #commit verifies on its own blocks and its ops invert to prevData', async () => {
  for (const w of writers) {
    const key = await signingDidKey(w.a.did)
    const commits = hose.state.raw.filter((e) => isType(e, 'commit') && e.repo === w.a.did)
    assert.equal(commits.length, w.commits.size + 1, 'one #commit per write, plus the first')
    let prev // { rev, data } of the previous commit
    for (const evt of commits) {
      const data = await checkCommit(evt, key)
      if (prev === undefined) {
        assert.equal(evt.since, null, `first #commit of ${w.a.did} has since null`)
      } else {
        assert.equal(evt.since, prev.rev, `#commit seq ${evt.seq}: since chains from the previous rev`)
        assert.ok(evt.rev > prev.rev, `#commit seq ${evt.seq}: rev ${evt.rev} after ${prev.rev}`)
        assert.ok(evt.prevData?.equals(prev.data), `#commit seq ${evt.seq}: prevData is the previous commit's data`)
      }
      prev = { rev: evt.rev, data }
    }
  }
})

/** byRev groups [rev, op key] pairs into rev → sorted op keys. */
function byRev(pairs) {
  const m = new Map()
  for (const [rev, key] of pairs) m.set(rev, [...(m.get(rev) ?? []), key])
  for (const keys of m.values()) keys.sort()
  return m
}

test('the ops on the firehose are exactly the writes made', () => {
  for (const w of writers) {
    const seen = hose.state.raw
      .filter((e) => isType(e, 'commit') && e.repo === w.a.did && e.since !== null)
      .flatMap((e) => e.ops.map((op) => [e.rev, opKey(op.action, op.path, op.cid?.toString(), op.prev?.toString())]))
    const want = [...w.commits].flatMap(([rev, ops]) => ops.map((k) => [rev, k]))
    assert.deepEqual(byRev(seen), byRev(want), `ops of ${w.a.did} by rev (seed ${SEED})`)
  }
})

test('@atproto/sync authenticated every op (none dropped by verifyProofs)', () => {
  for (const w of writers) {
    const got = hose.state.handled
      .filter((e) => e.did === w.a.did && ['create', 'update', 'delete'].includes(e.event))
      .map((e) => [e.rev, `${e.event} ${e.collection}/${e.rkey} ${e.cid?.toString() ?? '-'}`])
    const want = [...w.commits].flatMap(([rev, ops]) => ops.map((k) => [rev, k.replace(/ prev=.*$/, '')]))
    assert.deepEqual(byRev(got), byRev(want), `authenticated ops of ${w.a.did} by rev (seed ${SEED})`)
  }
})

test('a cursor in the middle replays the same messages', async () => {
  const all = hose.state.raw
  const mid = all[Math.floor(all.length / 2)].seq
  const again = new RecordingFirehose(mid, shim)
  again.start()
  try {
    const end = all[all.length - 1].seq
    await waitFor(() => again.state.raw.some((e) => e.seq >= end), 15000, () => `replay from ${mid} to reach ${end}`)
  } finally {
    await again.destroy()
  }
  assert.deepEqual(again.state.errors.map(explain), [])
  const summary = (e) => `${e.seq} ${e.$type} ${eventDid(e)} ${e.commit?.toString() ?? ''} ${e.rev ?? ''}`
  const want = all.filter((e) => e.seq > mid).map(summary)
  assert.deepEqual(again.state.raw.slice(0, want.length).map(summary), want)
})
