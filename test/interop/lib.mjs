// Shared helpers for the interop tests: the pod's address, fresh accounts,
// XRPC error assertions and the signing key from a DID document.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { AtpAgent, XRPCError } from '@atproto/api'

/** POD_URL is the running pod's base URL, set by test/interop/run. */
export const POD_URL = process.env.POD_URL
if (!POD_URL) {
  throw new Error('POD_URL is not set: run the suite through test/interop/run')
}

/** uniqueLabel returns a handle label of prefix plus random letters (≤ 18 chars). */
export function uniqueLabel(prefix) {
  const rand = randomBytes(8).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[d])
  return (prefix + rand).slice(0, 18)
}

/** newAgent returns an AtpAgent for the pod with no session. */
export function newAgent() {
  return new AtpAgent({ service: POD_URL })
}

/**
 * newAccount creates an account through AtpAgent.createAccount and returns
 * the logged-in agent with the account's details.
 */
export async function newAccount(prefix = 'u') {
  const label = uniqueLabel(prefix)
  const handle = `${label}.test`
  const email = `${label}@example.test`
  const password = `pw-${randomBytes(9).toString('base64url')}`
  const agent = newAgent()
  const res = await agent.createAccount({ handle, email, password })
  return { agent, did: res.data.did, handle, email, password, created: res.data }
}

/**
 * rejectsXrpc asserts that promise rejects with an XRPCError whose error
 * name is one of names (a string or an array) and, when given, one of the
 * HTTP statuses. It returns the error.
 */
export async function rejectsXrpc(promise, names, statuses) {
  const want = [names].flat()
  let err
  try {
    const res = await promise
    assert.fail(`expected XRPC error ${want.join('|')}, got success: ${JSON.stringify(res?.data ?? res)}`)
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e
    err = e
  }
  assert.ok(err instanceof XRPCError, `expected an XRPCError, got ${err?.stack ?? err}`)
  assert.ok(
    want.includes(err.error),
    `expected error ${want.join('|')}, got ${err.error} (status ${err.status}): ${err.message}`,
  )
  if (statuses !== undefined) {
    const ok = [statuses].flat()
    assert.ok(ok.includes(err.status), `expected status ${ok.join('|')}, got ${err.status} (${err.error})`)
  }
  return err
}

/**
 * succeeds awaits an XRPC call that should succeed; when it fails, the
 * assertion names the XRPC error, or for an answer that breaks the method's
 * lexicon, the validation error and the body the pod sent.
 */
export async function succeeds(promise) {
  try {
    return await promise
  } catch (e) {
    if (e instanceof XRPCError && 'validationError' in e && 'responseBody' in e) {
      // XRPCInvalidResponseError (not re-exported by @atproto/api)
      assert.fail(
        `the pod's answer breaks the ${e.lexiconNsid} output lexicon: ${e.validationError?.message}; ` +
          `body: ${JSON.stringify(e.responseBody)}`,
      )
    }
    if (e instanceof XRPCError) {
      assert.fail(`XRPC call failed: ${e.status} ${e.error}: ${e.message}`)
    }
    throw e
  }
}

/**
 * rawXrpc calls an XRPC method with fetch, bypassing the client's encoding,
 * and returns { status, body, headers }. body is parsed JSON when it is JSON.
 */
export async function rawXrpc(nsid, { method = 'GET', params, json, token, body, contentType } = {}) {
  const url = new URL(`/xrpc/${nsid}`, POD_URL)
  for (const [k, v] of Object.entries(params ?? {})) url.searchParams.set(k, v)
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (json !== undefined) {
    headers['content-type'] = 'application/json'
    body = typeof json === 'string' ? json : JSON.stringify(json)
  } else if (contentType) {
    headers['content-type'] = contentType
  }
  const res = await fetch(url, { method, headers, body })
  const bytes = new Uint8Array(await res.arrayBuffer())
  let parsed = bytes
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) {
    parsed = JSON.parse(new TextDecoder().decode(bytes))
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

/**
 * signingDidKey fetches did's document from the pod's embedded PLC
 * directory and returns its #atproto key as a did:key string.
 */
export async function signingDidKey(did) {
  const res = await fetch(`${POD_URL}/plc/${did}`)
  assert.equal(res.status, 200, `GET /plc/${did}`)
  const doc = await res.json()
  assert.equal(doc.id, did)
  const vm = (doc.verificationMethod ?? []).find((m) => m.id === '#atproto' || m.id === `${did}#atproto`)
  assert.ok(vm, `DID document has no #atproto verification method: ${JSON.stringify(doc)}`)
  assert.equal(vm.type, 'Multikey')
  assert.match(vm.publicKeyMultibase, /^z[1-9A-HJ-NP-Za-km-z]+$/)
  return `did:key:${vm.publicKeyMultibase}`
}

/** getBytes GETs a pod URL path and returns { status, headers, bytes }. */
export async function getBytes(path, params = {}) {
  const url = new URL(path, POD_URL)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  const res = await fetch(url)
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) }
}

/** post returns a minimal valid app.bsky.feed.post record. */
export function post(text, extra = {}) {
  return { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString(), ...extra }
}

/**
 * startPlcShim serves the PLC directory API where the official resolvers
 * (@atproto/identity, @atproto-labs/did-resolver) ask for it, GET /<did> at
 * the directory's root, by forwarding to the pod's embedded directory at
 * /plc/<did>. It listens on loopback and forwards nothing but did:plc
 * lookups. Close it with shim.close().
 */
export async function startPlcShim() {
  const shim = createServer(async (req, res) => {
    const did = decodeURIComponent(req.url.slice(1))
    if (req.method !== 'GET' || !/^did:plc:[a-z2-7]{24}$/.test(did)) return void res.writeHead(404).end()
    try {
      const r = await fetch(`${POD_URL}/plc/${did}`)
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
      res.end(Buffer.from(await r.arrayBuffer()))
    } catch (e) {
      res.writeHead(502).end(String(e))
    }
  })
  await new Promise((resolve) => shim.listen(0, '127.0.0.1', resolve))
  shim.url = `http://127.0.0.1:${shim.address().port}`
  return shim
}
