// `npm run soak`: 1,000 concurrent DPoP-bound token exchanges against oidc-provider with nonces required and
// rotating during the run. Every exchange must succeed, none may be sent more than twice (one nonce retry), and
// every issued token must be bound to the key that asked for it. Opt-in, not part of `npm test`; bounded in count
// and time; exits non-zero on any failure.
//
// Forcing rotation. oidc-provider derives its DPoP nonce from the current 60-second step of its clock
// (lib/helpers/challenge.js: HKDF of floor(epochTime() / 60)); it announces the nonce of the next step and accepts
// those of steps s-2 … s+2. The 60 s step is a constant, not configuration, and epochTime() reads Date.now(). So the
// soak runs the server in this process and moves the process clock: Date.now() returns the real time plus an
// offset the soak controls. Client and server share that clock, so DPoP `iat`, token lifetimes and nonces all
// move together, exactly as if that much time had passed.
//   - Before the run, the clock is moved on by HARD_JUMP_STEPS steps: nonces cached before the jump are then
//     outside the server's window, as after a long idle period.
//   - During the run, it is moved on by one step (60 s) SOFT_ROTATIONS times, each after a given number of server
//     responses, so old and new nonces are in flight at once; that is the server's ordinary rotation.
//   - The clock is aligned to the start of a step when the run begins, so real time cannot add an unplanned step.
//
// Three kinds of DPoP handle share the 1,000 exchanges: cold (no nonce yet: one use_dpop_nonce retry expected),
// stale (a nonce from before the jump: one retry expected) and fresh (a nonce from after the jump: no retry
// expected, and the in-window rotations must not cause one).

import * as gl from '../src/index.js'
import { startAuthorizationServer, TOKEN_EXCHANGE } from '../demo/server.js'

/** Logical token exchanges, all started at once. */
const CALLS = 1000
/** DPoP key pairs the exchanges are spread over, per kind of handle. */
const HANDLES_PER_KIND = 4
/** Steps (of 60 s) the clock jumps before the run, making pre-jump nonces stale (the window is ±2 steps). */
const HARD_JUMP_STEPS = 5
/** One-step rotations during the run, each after this many more server responses. */
const SOFT_ROTATIONS = 3
const RESPONSES_PER_ROTATION = 400
/** The whole run must finish within this; real time must also stay inside one 60 s step (see above). */
const DEADLINE_MS = 50_000
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const STEP_MS = 60_000

// ---- the shared clock ----------------------------------------------------------------------------------------
const realNow = Date.now.bind(Date)
let clockOffsetMs = 0
Date.now = () => realNow() + clockOffsetMs
const advanceClock = (ms: number) => (clockOffsetMs += ms)

type Kind = 'cold' | 'stale' | 'fresh'
const KINDS: readonly Kind[] = ['cold', 'stale', 'fresh']

interface Attempt {
  nonce: string | undefined
  status: number
  error: string | undefined
}

interface Call {
  index: number
  kind: Kind
  handle: number
  subjectToken: string
  attempts: Attempt[]
  outcome: 'pending' | 'ok' | 'failed'
  failure?: string
  accessToken?: string
}

function proofPayload(proof: string | undefined): { nonce?: string } {
  if (proof === undefined) return {}
  return JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    nonce?: string
  }
}

const server = await startAuthorizationServer({ requireDPoPNonce: true })
let exitCode = 1
try {
  const basic = server.clients['basic']
  if (basic?.clientSecret === undefined)
    throw new Error('the embedded server has no client_secret_basic client')

  // Attempts are attributed to logical calls by their subject token, which is unique per call.
  const callsByToken = new Map<string, Call>()
  let responses = 0
  const rotations: { afterResponses: number; offsetSeconds: number }[] = []
  const counting: gl.CustomFetch = async (url, options) => {
    const headers = options.headers as Record<string, string>
    const subject = new URLSearchParams(String(options.body)).get('subject_token') ?? ''
    const call = callsByToken.get(subject)
    const nonce = proofPayload(headers['dpop']).nonce
    const response = await fetch(url, options as RequestInit)
    responses++
    if (call) {
      let error: string | undefined
      if (response.status !== 200) {
        error = ((await response.clone().json()) as { error?: string }).error
      }
      call.attempts.push({ nonce, status: response.status, error })
      if (
        rotations.length < SOFT_ROTATIONS &&
        responses >= (rotations.length + 1) * RESPONSES_PER_ROTATION &&
        callsByToken.size === CALLS
      ) {
        advanceClock(STEP_MS)
        rotations.push({ afterResponses: responses, offsetSeconds: clockOffsetMs / 1000 })
      }
    }
    return response
  }

  const config = new gl.Configuration(
    server.metadata as gl.ServerMetadata,
    'basic',
    {},
    gl.ClientSecretBasic(basic.clientSecret),
  )
  gl.allowInsecureRequests(config)
  config[gl.customFetch] = counting
  config.timeout = DEADLINE_MS / 1000

  const makeHandles = async () =>
    Promise.all(
      Array.from({ length: HANDLES_PER_KIND }, async () => {
        const handle = gl.getDPoPHandle(config, await gl.randomDPoPKeyPair('ES256'))
        return { handle, thumbprint: await handle.calculateThumbprint() }
      }),
    )
  const handles: Record<Kind, Awaited<ReturnType<typeof makeHandles>>> = {
    cold: await makeHandles(),
    stale: await makeHandles(),
    fresh: await makeHandles(),
  }
  const warm = async (kind: Kind) => {
    for (const { handle } of handles[kind]) {
      const subject = await server.issueAccessToken('basic')
      await gl.genericGrantRequest(
        config,
        TOKEN_EXCHANGE,
        { subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE },
        { DPoP: handle },
      )
    }
  }
  await warm('stale')
  advanceClock(HARD_JUMP_STEPS * STEP_MS)
  // Start the run at the beginning of a step, so that real time does not add a rotation of its own.
  advanceClock(STEP_MS - (Date.now() % STEP_MS) + 500)
  await warm('fresh')

  const calls: Call[] = []
  for (let index = 0; index < CALLS; index++) {
    const kind = KINDS[index % KINDS.length]!
    const subjectToken = await server.issueAccessToken('basic', { accountId: `user-${index}` })
    const call: Call = {
      index,
      kind,
      handle: Math.floor(index / KINDS.length) % HANDLES_PER_KIND,
      subjectToken,
      attempts: [],
      outcome: 'pending',
    }
    calls.push(call)
    callsByToken.set(subjectToken, call)
  }
  server.requests.length = 0
  responses = 0

  const started = performance.now()
  const startStep = Math.floor(Date.now() / STEP_MS)
  const run = Promise.all(
    calls.map(async (call) => {
      try {
        const tokens = await gl.genericGrantRequest(
          config,
          TOKEN_EXCHANGE,
          { subject_token: call.subjectToken, subject_token_type: ACCESS_TOKEN_TYPE },
          { DPoP: handles[call.kind][call.handle]!.handle },
        )
        if (tokens.token_type !== 'dpop') throw new Error(`token_type is ${tokens.token_type}, not dpop`)
        call.accessToken = tokens.access_token
        call.outcome = 'ok'
      } catch (err) {
        call.outcome = 'failed'
        const e = err as { code?: string; error?: string; message?: string }
        call.failure = [e.code, e.error, e.message].filter(Boolean).join(' ')
      }
    }),
  )
  let timer: NodeJS.Timeout | undefined
  const finished = await Promise.race([
    run.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DEADLINE_MS))),
  ])
  clearTimeout(timer)
  const seconds = (performance.now() - started) / 1000
  const endStep = Math.floor(Date.now() / STEP_MS)

  // The server's own log: every token request and the proofs it carried.
  const tokenRequests = server.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/token'))
  const proofsAtServer = tokenRequests.filter((r) => typeof r.headers['dpop'] === 'string').length

  // Binding: every issued token must carry the thumbprint of the key of the handle that asked for it.
  let unbound = 0
  for (const call of calls) {
    if (call.outcome !== 'ok' || call.accessToken === undefined) continue
    const stored = await server.inspectAccessToken(call.accessToken)
    if (stored?.['jkt'] !== handles[call.kind][call.handle]!.thumbprint) unbound++
  }

  const failures: string[] = []
  if (!finished) failures.push(`the run did not finish within ${DEADLINE_MS / 1000} s`)
  const failed = calls.filter((c) => c.outcome !== 'ok')
  if (failed.length) {
    const reasons = new Map<string, number>()
    for (const c of failed)
      reasons.set(c.failure ?? c.outcome, (reasons.get(c.failure ?? c.outcome) ?? 0) + 1)
    failures.push(
      `${failed.length} exchanges did not succeed: ${[...reasons].map(([r, n]) => `${n}× ${r}`).join('; ')}`,
    )
  }
  const overRetried = calls.filter((c) => c.attempts.length > 2)
  if (overRetried.length) failures.push(`${overRetried.length} exchanges were sent more than twice`)
  const clientAttempts = calls.reduce((sum, c) => sum + c.attempts.length, 0)
  if (proofsAtServer !== clientAttempts) {
    failures.push(
      `the server received ${proofsAtServer} proofs, the client counted ${clientAttempts} attempts`,
    )
  }
  const freshRetried = calls.filter((c) => c.kind === 'fresh' && c.attempts.length !== 1)
  if (freshRetried.length) {
    failures.push(`${freshRetried.length} exchanges with a fresh nonce were retried: rotation caused a retry`)
  }
  if (unbound) failures.push(`${unbound} access tokens are not bound to the requesting DPoP key`)
  if (rotations.length !== SOFT_ROTATIONS) {
    failures.push(`only ${rotations.length} of ${SOFT_ROTATIONS} rotations happened during the run`)
  }
  if (endStep - startStep !== rotations.length) {
    failures.push(
      `the server clock moved ${endStep - startStep} steps, not ${rotations.length}: the run was too slow`,
    )
  }
  const retryNonces = new Set(calls.flatMap((c) => c.attempts.slice(1).map((a) => a.nonce)))
  if (retryNonces.has(undefined)) failures.push('a retry was sent without a nonce')

  const histogram = (kind: Kind) => {
    const of = calls.filter((c) => c.kind === kind)
    const counts = new Map<number, number>()
    for (const c of of) counts.set(c.attempts.length, (counts.get(c.attempts.length) ?? 0) + 1)
    const ok = of.filter((c) => c.outcome === 'ok').length
    const spread = [...counts]
      .sort(([a], [b]) => a - b)
      .map(([n, count]) => `${count}× ${n} attempt${n === 1 ? '' : 's'}`)
    return `${kind.padEnd(5)}: ${ok}/${of.length} ok, ${spread.join(', ')}`
  }
  const firstErrors = new Map<string, number>()
  for (const c of calls) {
    const first = c.attempts[0]
    if (first && first.status !== 200) {
      const key = `${first.status} ${first.error ?? ''}`.trim()
      firstErrors.set(key, (firstErrors.get(key) ?? 0) + 1)
    }
  }

  console.log(
    [
      `grantline DPoP soak against ${server.issuer} (oidc-provider, nonces required)`,
      `  exchanges        ${CALLS} started at once over ${HANDLES_PER_KIND * KINDS.length} DPoP keys, ${seconds.toFixed(1)} s, ${(CALLS / seconds).toFixed(0)} exchanges/s`,
      `  by kind          ${KINDS.map(histogram).join('\n                   ')}`,
      `  first attempts   ${firstErrors.size ? [...firstErrors].map(([k, n]) => `${n}× ${k}`).join(', ') : 'all succeeded'}`,
      `  proofs           ${clientAttempts} sent (client count), ${proofsAtServer} received (server log), ${tokenRequests.length} token requests`,
      `  clock            jumped ${HARD_JUMP_STEPS} steps before the run; rotated ${rotations.length}× during it (after ${rotations.map((r) => r.afterResponses).join(', ')} responses)`,
      `  nonces in retries ${retryNonces.size} distinct`,
      `  bound tokens     ${calls.length - unbound - failed.length}/${calls.length} carry the requesting key's thumbprint`,
      failures.length ? `FAILED\n  - ${failures.join('\n  - ')}` : 'PASSED',
    ].join('\n'),
  )
  exitCode = failures.length ? 1 : 0
} catch (err) {
  console.error('soak could not run:', err)
} finally {
  Date.now = realNow
  await server.close()
}
process.exit(exitCode)
