/** Property key on a Configuration (or discovery options) holding a `fetch` replacement. */
export const customFetch: unique symbol = Symbol('customFetch')
/** Client metadata key: seconds to add to the local clock (positive when the local clock is behind). */
export const clockSkew: unique symbol = Symbol('clockSkew')
/** Client metadata key: seconds of leeway for `exp`, `nbf` and `auth_time` checks (default 30). */
export const clockTolerance: unique symbol = Symbol('clockTolerance')
/** Key in {@link ModifyAssertionOptions}: a hook that mutates JWT header and payload right before signing. */
export const modifyAssertion: unique symbol = Symbol('modifyAssertion')
/** Value for `expectedState` that skips the state comparison. @deprecated kept for compatibility. */
export const skipStateCheck: unique symbol = Symbol('skipStateCheck')
/** Value for `expectedSubject` that skips the subject comparison. @deprecated kept for compatibility. */
export const skipSubjectCheck: unique symbol = Symbol('skipSubjectCheck')
