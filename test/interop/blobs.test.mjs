// Blobs: uploadBlob, a post embedding the image, sync.getBlob and listBlobs.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import { getBytes, newAccount, newAgent, post, rejectsXrpc, succeeds } from './lib.mjs'

// crc32 is the PNG chunk checksum (IEEE polynomial).
function crc32(bytes) {
  let c = ~0
  for (const b of bytes) {
    c ^= b
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1))
  }
  return ~c >>> 0
}

function chunk(type, body) {
  const out = Buffer.alloc(12 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.write(type, 4, 'latin1')
  body.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length)
  return out
}

// png makes a real w×h RGB PNG with a gradient, so each size has other bytes.
function png(w, h) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  const rows = Buffer.alloc(h * (1 + 3 * w))
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) rows.set([x & 255, y & 255, (x * y) & 255], y * (1 + 3 * w) + 1 + 3 * x)
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))])
}

// rawCid is the CIDv1 (raw codec, sha-256) of bytes in base32, as blobs use.
function rawCid(bytes) {
  const digest = createHash('sha256').update(bytes).digest()
  const bin = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest])
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = 0
  let value = 0
  let out = 'b'
  for (const byte of bin) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

let me
before(async () => {
  me = await newAccount('blobs')
})

test('uploadBlob, an image post referencing it, getBlob and listBlobs', async () => {
  const bytes = png(64, 48)
  const up = await me.agent.uploadBlob(new Uint8Array(bytes), { encoding: 'image/png' })
  const blob = up.data.blob
  const ref = blob.ref.toString()
  assert.equal(ref, rawCid(bytes), 'blob CID is the raw sha-256 CID of the bytes')
  assert.equal(blob.mimeType, 'image/png')
  assert.equal(blob.size, bytes.length)

  const created = await me.agent.com.atproto.repo.createRecord({
    repo: me.did,
    collection: 'app.bsky.feed.post',
    record: post('a picture', {
      embed: {
        $type: 'app.bsky.embed.images',
        images: [{ image: blob, alt: 'a gradient', aspectRatio: { width: 64, height: 48 } }],
      },
    }),
  })
  assert.equal(created.data.validationStatus, 'valid')

  const rkey = created.data.uri.split('/').pop()
  const rec = await me.agent.com.atproto.repo.getRecord({ repo: me.did, collection: 'app.bsky.feed.post', rkey })
  const image = rec.data.value.embed.images[0].image
  assert.equal(image.ref.toString(), ref)
  assert.equal(image.mimeType, 'image/png')
  assert.equal(image.size, bytes.length)

  // through the client
  const got = await newAgent().com.atproto.sync.getBlob({ did: me.did, cid: ref })
  assert.deepEqual(Buffer.from(got.data), bytes)
  assert.match(got.headers['content-type'], /^image\/png/)
  // and by plain HTTP
  const raw = await getBytes('/xrpc/com.atproto.sync.getBlob', { did: me.did, cid: ref })
  assert.equal(raw.status, 200)
  assert.equal(raw.headers.get('content-type'), 'image/png')
  assert.equal(Number(raw.headers.get('content-length')), bytes.length)
  assert.deepEqual(Buffer.from(raw.bytes), bytes)

  const listed = await newAgent().com.atproto.sync.listBlobs({ did: me.did })
  assert.ok(listed.data.cids.includes(ref), `listBlobs ${JSON.stringify(listed.data.cids)} includes ${ref}`)
})

test('several blobs are each listed once and served byte for byte', async () => {
  const made = []
  for (const [w, h] of [[3, 3], [5, 2], [2, 7]]) {
    const bytes = png(w, h)
    const up = await me.agent.uploadBlob(new Uint8Array(bytes), { encoding: 'image/png' })
    made.push({ bytes, blob: up.data.blob, ref: up.data.blob.ref.toString(), w, h })
  }
  await me.agent.com.atproto.repo.createRecord({
    repo: me.did,
    collection: 'app.bsky.feed.post',
    record: post('three pictures', {
      embed: {
        $type: 'app.bsky.embed.images',
        images: made.map((m) => ({ image: m.blob, alt: `${m.w}x${m.h}`, aspectRatio: { width: m.w, height: m.h } })),
      },
    }),
  })
  const all = []
  let cursor
  for (let i = 0; i < 10; i++) {
    const res = await newAgent().com.atproto.sync.listBlobs({ did: me.did, limit: 2, cursor })
    all.push(...res.data.cids)
    cursor = res.data.cursor
    if (!cursor) break
  }
  assert.equal(new Set(all).size, all.length, 'no duplicates across pages')
  for (const m of made) {
    assert.ok(all.includes(m.ref), `${m.ref} listed`)
    const got = await getBytes('/xrpc/com.atproto.sync.getBlob', { did: me.did, cid: m.ref })
    assert.deepEqual(Buffer.from(got.bytes), m.bytes)
  }
})

test('blob errors: unknown blob, a record naming a blob never uploaded', async () => {
  const missing = rawCid(Buffer.from('never uploaded'))
  await rejectsXrpc(newAgent().com.atproto.sync.getBlob({ did: me.did, cid: missing }), 'BlobNotFound', [400, 404])
  await rejectsXrpc(
    me.agent.com.atproto.repo.createRecord({
      repo: me.did,
      collection: 'app.bsky.feed.post',
      record: post('dangling', {
        embed: {
          $type: 'app.bsky.embed.images',
          images: [{ image: { $type: 'blob', ref: { $link: missing }, mimeType: 'image/png', size: 14 }, alt: '' }],
        },
      }),
    }),
    ['BlobNotFound', 'InvalidRequest'],
    400,
  )
  const list = await succeeds(newAgent().com.atproto.sync.listBlobs({ did: me.did }))
  assert.ok(!list.data.cids.includes(missing))
})
