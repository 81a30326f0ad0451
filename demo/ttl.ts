// Lifetimes of everything the embedded server issues, in seconds. Explicit, so oidc-provider does not warn and
// tests can rely on the numbers.
export const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  BackchannelAuthenticationRequest: 600,
  ClientCredentials: 600,
  DeviceCode: 600,
  Grant: 86_400,
  IdToken: 3600,
  Interaction: 600,
  RefreshToken: 86_400,
  Session: 86_400,
} as const
