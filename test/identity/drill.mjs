// The drill's last step: the official TypeScript client finds the restored
// account and reads all of it. Run by drill_test.go as
//   INTEROP_DIR=test/interop node drill.mjs EXPECT.json
// EXPECT.json: { entry, plc, handle, did, records: {uri: cid}, blobs: {cid: sha256hex} }.
// The npm packages come from test/interop's node_modules (ESM only, so
// they are imported by path).
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

// 1. The handle, asked of the pod the user would sign in to.
const entry = new AtpAgent({ service: want.entry })
const { data: resolved } = await entry.com.atproto.identity.resolveHandle({ handle: want.handle })
assert.equal(resolved.did, want.did, 'the handle resolves to the DID')

// 2. The DID, through the PLC directory: its PDS and handle.
const ids = new DidResolver({ plcUrl: want.plc })
const atp = await ids.resolveAtprotoData(want.did, true)
assert.equal(atp.handle, want.handle, 'the DID document claims the handle back')
assert.equal(atp.pds, want.entry, 'the DID document names pod B as the PDS')

// 3. Every record and blob, from the PDS the document names.
const pds = new AtpAgent({ service: atp.pds })
const { data: repo } = await pds.com.atproto.repo.describeRepo({ repo: want.handle })
assert.equal(repo.did, want.did)
assert.equal(repo.handleIsCorrect, true, 'the pod says the handle is correct')
const got = {}
for (const collection of repo.collections) {
  let cursor
  do {
    const { data } = await pds.com.atproto.repo.listRecords({ repo: want.did, collection, limit: 100, cursor })
    for (const r of data.records) got[r.uri] = r.cid
    cursor = data.records.length ? data.cursor : undefined
  } while (cursor)
}
assert.deepEqual(got, want.records, 'listRecords returns exactly the records written on pod A')
for (const [uri, cid] of Object.entries(want.records)) {
  const [, collection, rkey] = uri.slice('at://'.length).split('/')
  const { data } = await pds.com.atproto.repo.getRecord({ repo: want.did, collection, rkey })
  assert.equal(data.cid, cid, `getRecord ${uri}`)
}
for (const [cid, sha] of Object.entries(want.blobs)) {
  const { data } = await pds.com.atproto.sync.getBlob({ did: want.did, cid })
  const digest = createHash('sha256').update(data).digest('hex')
  assert.equal(digest, sha, `getBlob ${cid} returns the bytes uploaded to pod A`)
}
console.log(`ok: ${want.handle} -> ${want.did} -> ${atp.pds}; ${Object.keys(got).length} records and ${Object.keys(want.blobs).length} blobs read`)
