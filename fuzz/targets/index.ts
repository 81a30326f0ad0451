import type { Target } from '../target.js'
import { decoupledStartTarget, revocationTarget } from './decoupled.js'
import { discoveryTarget, registrationTarget } from './discovery.js'
import {
  dpopNonceTarget,
  dpopPipelineTarget,
  retryAfterTarget,
  wwwAuthenticatePipelineTarget,
  wwwAuthenticateTarget,
} from './headers.js'
import { introspectionTarget, jwtIntrospectionTarget } from './introspection.js'
import { idTokenTarget, jwksTarget, tokenTarget } from './token.js'

/** Every parser and response processor of the library, in the order the run reports them. */
export const TARGETS: Target[] = [
  tokenTarget,
  idTokenTarget,
  jwksTarget,
  introspectionTarget,
  jwtIntrospectionTarget,
  discoveryTarget,
  registrationTarget,
  decoupledStartTarget,
  revocationTarget,
  wwwAuthenticateTarget,
  wwwAuthenticatePipelineTarget,
  dpopNonceTarget,
  dpopPipelineTarget,
  retryAfterTarget,
]
