// The failover's last step: the official TypeScript client resolves the
// DID afresh through the PLC directory, finds the promoted pod, reads
// every record and blob the old primary acknowledged, signs in with the
// user's password and writes. Run by node_test.go as
//   INTEROP_DIR=test/interop node promoted.mjs EXPECT.json
// EXPECT.json: { plc, pds, did, password, records: {uri: cid}, blobs: {cid: sha256hex} }.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.INTEROP_DIR
if (!dir) throw new Error('INTEROP_DIR is not set')
const load = (pkg) => import(pathToFileURL(join(dir, 'node_modules', pkg, 'dist', 'index.js')).href)
const { AtpAgent } = await load('@atproto/api')
const { DidResolver } = await load('@atproto/identity')

const want = JSON.parse(readFileSync(process.argv[2], 'utf8'))

const ids = new DidResolver({ plcUrl: want.plc })
const atp = await ids.resolveAtprotoData(want.did, true)
assert.equal(atp.pds, want.pds, 'the DID document names the promoted pod')

const pds = new AtpAgent({ service: atp.pds })
const { data: repo } = await pds.com.atproto.repo.describeRepo({ repo: want.did })
const got = {}
for (const collection of repo.collections) {
  let cursor
  do {
    const { data } = await pds.com.atproto.repo.listRecords({ repo: want.did, collection, limit: 100, cursor })
    for (const r of data.records) got[r.uri] = r.cid
    cursor = data.records.length ? data.cursor : undefined
  } while (cursor)
}
assert.deepEqual(got, want.records, 'listRecords returns exactly the acknowledged records')
for (const [uri, cid] of Object.entries(want.records)) {
  const [, collection, rkey] = uri.slice('at://'.length).split('/')
  const { data } = await pds.com.atproto.repo.getRecord({ repo: want.did, collection, rkey })
  assert.equal(data.cid, cid, `getRecord ${uri}`)
}
for (const [cid, sum] of Object.entries(want.blobs)) {
  const { data } = await pds.com.atproto.sync.getBlob({ did: want.did, cid })
  assert.equal(createHash('sha256').update(data).digest('hex'), sum, `blob ${cid}`)
}

await pds.login({ identifier: want.did, password: want.password })
const made = await pds.com.atproto.repo.createRecord({
  repo: want.did, collection: 'app.bsky.feed.post',
  record: { $type: 'app.bsky.feed.post', text: 'written after the failover', createdAt: new Date().toISOString() },
})
const { data: back } = await pds.com.atproto.repo.getRecord({ repo: want.did, collection: 'app.bsky.feed.post', rkey: made.data.uri.split('/').pop() })
assert.equal(back.cid, made.data.cid, 'the new record reads back')
console.log(JSON.stringify({ records: Object.keys(got).length, blobs: Object.keys(want.blobs).length, wrote: made.data.uri }))
