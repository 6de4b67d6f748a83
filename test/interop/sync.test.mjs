// Sync reads checked with the reference repository code: the whole repo as a
// CAR (com.atproto.sync.getRepo) and a record proof (com.atproto.sync.getRecord),
// verified against the signing key in the DID document.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Secp256k1Keypair, parseDidKey } from '@atproto/crypto'
import { cidForRecord, readCarWithRoot, verifyProofs, verifyRecords, verifyRepo, verifyRepoCar } from '@atproto/repo'
import { newAccount, newAgent, post, rejectsXrpc, signingDidKey } from './lib.mjs'

const POST = 'app.bsky.feed.post'
const NOTE = 'com.example.interop.note'

let me
let key // the account's signing key as did:key
let made // { collection, rkey, cid, value } of every live record
before(async () => {
  me = await newAccount('sync')
  key = await signingDidKey(me.did)
  const repo = me.agent.com.atproto.repo
  made = new Map()
  const keep = (collection, rkey, cid, value) => made.set(`${collection}/${rkey}`, { collection, rkey, cid, value })
  for (let i = 0; i < 12; i++) {
    const value = post(`post ${i}`, { langs: ['en'] })
    const r = await repo.createRecord({ repo: me.did, collection: POST, record: value })
    keep(POST, r.data.uri.split('/').pop(), r.data.cid, value)
  }
  for (const rkey of ['alpha', 'beta', 'gamma', 'self']) {
    const value = { $type: NOTE, text: rkey, n: rkey.length, tags: [rkey, null, true], nested: { deep: { x: -7 } } }
    const r = await repo.putRecord({ repo: me.did, collection: NOTE, rkey, record: value })
    keep(NOTE, rkey, r.data.cid, value)
  }
  await repo.deleteRecord({ repo: me.did, collection: NOTE, rkey: 'beta' })
  made.delete(`${NOTE}/beta`)
  const value = { $type: NOTE, text: 'updated' }
  const r = await repo.putRecord({ repo: me.did, collection: NOTE, rkey: 'gamma', record: value })
  keep(NOTE, 'gamma', r.data.cid, value)
})

test('the DID document carries a did:key the reference crypto library parses', async () => {
  const parsed = parseDidKey(key)
  assert.ok(['ES256K', 'ES256'].includes(parsed.jwtAlg), `jwtAlg ${parsed.jwtAlg}`)
  // the library hands back the point uncompressed
  assert.ok([33, 65].includes(parsed.keyBytes.length), `key of ${parsed.keyBytes.length} bytes`)
})

test('sync.getRepo gives a CAR that verifyRepoCar accepts with the DID key', async () => {
  const car = (await newAgent().com.atproto.sync.getRepo({ did: me.did })).data
  assert.ok(car instanceof Uint8Array && car.length > 0)
  const verified = await verifyRepoCar(car, me.did, key)

  const latest = (await newAgent().com.atproto.sync.getLatestCommit({ did: me.did })).data
  assert.equal(verified.commit.cid.toString(), latest.cid)
  assert.equal(verified.commit.rev, latest.rev)

  const got = new Map(verified.creates.map((c) => [`${c.collection}/${c.rkey}`, c.cid.toString()]))
  const want = new Map([...made.values()].map((m) => [`${m.collection}/${m.rkey}`, m.cid]))
  assert.deepEqual(got, want, 'the CAR holds exactly the live records')

  // the record blocks are in the CAR, and the client's own CIDs of the
  // values we wrote match the pod's
  const { root, blocks } = await readCarWithRoot(car)
  assert.equal(root.toString(), latest.cid)
  for (const m of made.values()) {
    assert.equal((await cidForRecord(m.value)).toString(), m.cid, `CID of ${m.collection}/${m.rkey}`)
    assert.ok(blocks.has((await cidForRecord(m.value))), `block of ${m.collection}/${m.rkey} in the CAR`)
  }
  // verifyRepo over the parsed blocks agrees
  const again = await verifyRepo(blocks, root, me.did, key)
  assert.equal(again.creates.length, made.size)
})

test('sync.getRepo does not verify against another key or DID', async () => {
  const car = (await newAgent().com.atproto.sync.getRepo({ did: me.did })).data
  const other = await Secp256k1Keypair.create()
  await assert.rejects(verifyRepoCar(car, me.did, other.did()), /signature/i)
  await assert.rejects(verifyRepoCar(car, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', key), /did/i)
})

test('sync.getRecord gives a proof that verifyProofs and verifyRecords accept', async () => {
  const target = made.get(`${NOTE}/gamma`)
  const proof = (await newAgent().com.atproto.sync.getRecord({ did: me.did, collection: NOTE, rkey: 'gamma' })).data
  const cid = await cidForRecord(target.value)
  assert.equal(cid.toString(), target.cid)

  const claim = { collection: NOTE, rkey: 'gamma', cid }
  const res = await verifyProofs(proof, [claim], me.did, key)
  assert.equal(res.verified.length, 1, `verified ${JSON.stringify(res)}`)
  assert.equal(res.unverified.length, 0)

  // a claim of another CID at that path is not proven
  const wrong = { collection: NOTE, rkey: 'gamma', cid: await cidForRecord({ $type: NOTE, text: 'not this' }) }
  const res2 = await verifyProofs(proof, [wrong], me.did, key)
  assert.equal(res2.verified.length, 0)
  assert.equal(res2.unverified.length, 1)

  const records = await verifyRecords(proof, me.did, key)
  const rec = records.find((r) => r.collection === NOTE && r.rkey === 'gamma')
  assert.ok(rec, `verifyRecords found ${records.map((r) => `${r.collection}/${r.rkey}`)}`)
  assert.deepEqual(rec.record, target.value)

  await assert.rejects(verifyProofs(proof, [claim], me.did, (await Secp256k1Keypair.create()).did()), /signature/i)
})

test('sync.getRecord for a post proves it under the latest commit', async () => {
  const target = [...made.values()].find((m) => m.collection === POST)
  const proof = (await newAgent().com.atproto.sync.getRecord({ did: me.did, collection: POST, rkey: target.rkey })).data
  const { root } = await readCarWithRoot(proof)
  const latest = (await newAgent().com.atproto.sync.getLatestCommit({ did: me.did })).data
  assert.equal(root.toString(), latest.cid, 'proof is rooted at the current commit')
  const res = await verifyProofs(proof, [{ collection: POST, rkey: target.rkey, cid: await cidForRecord(target.value) }], me.did, key)
  assert.equal(res.verified.length, 1)
})

test('sync.getRecord for a deleted record proves absence or says RecordNotFound', async () => {
  let proof
  try {
    proof = (await newAgent().com.atproto.sync.getRecord({ did: me.did, collection: NOTE, rkey: 'beta' })).data
  } catch (e) {
    assert.equal(e.error, 'RecordNotFound', `unexpected error ${e.error}: ${e.message}`)
    return
  }
  const res = await verifyProofs(proof, [{ collection: NOTE, rkey: 'beta', cid: null }], me.did, key)
  assert.equal(res.verified.length, 1, 'absence is proven')
})

test('sync errors: unknown repo, bad DID, bad collection', async () => {
  const anon = newAgent().com.atproto.sync
  await rejectsXrpc(anon.getRepo({ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), 'RepoNotFound', [400, 404])
  await rejectsXrpc(anon.getRepo({ did: 'not-a-did' }), 'InvalidRequest', 400)
  await rejectsXrpc(anon.getRecord({ did: me.did, collection: 'nope', rkey: 'x' }), 'InvalidRequest', 400)
  await rejectsXrpc(anon.getLatestCommit({ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), 'RepoNotFound', [400, 404])
})
