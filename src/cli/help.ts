// `grantline --help` and `grantline <command> --help`.

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  anything else (unexpected failure)
  2  usage error: bad or missing flags, unreadable key or secret file, http:// without --insecure;
     nothing was sent
  3  OAuth error from the server (error, error_description and HTTP status on stderr)
  4  network failure or timeout (connection refused, TLS, DNS, --timeout reached)
  5  invalid response: the server answered, but not acceptably (not JSON, missing or wrong fields,
     issuer mismatch, bad signature; decode: the signature does not verify)`

const SERVER_HELP = `Server and client:
  --issuer <url>              the issuer; its metadata is discovered (/.well-known/openid-configuration,
                              then RFC 8414)
  --token-endpoint <url>      explicit endpoints instead of discovery (also --introspection-endpoint,
                              --revocation-endpoint, --userinfo-endpoint, --device-authorization-endpoint,
                              --authorization-endpoint, --jwks-uri)
  --client-id <id>
  --auth <method>             client_secret_basic, client_secret_post, client_secret_jwt,
                              private_key_jwt, tls_client_auth, self_signed_tls_client_auth, none
                              (default: private_key_jwt with --private-key, tls_client_auth with --cert,
                              client_secret_basic when a secret is given, else none)
  --client-secret-file <f>    the client secret; or GRANTLINE_CLIENT_SECRET, or a prompt on a terminal.
                              Never a flag value: --client-secret is refused (ps would show it)
  --private-key <file>        private_key_jwt key: a JWK (or a JWKS with one private key) or a PEM;
                              --kid <kid> overrides the key's kid, --alg PS256 etc. for RSA keys
  --cert <pem> --key <pem>    mutual TLS (RFC 8705) client certificate; --ca <pem> to trust a private CA
  --dpop                      DPoP-bind the tokens (RFC 9449) with a fresh ES256 key;
  --dpop-key <file>           ... or with this key (JWK or PEM)
  --insecure, -k              allow http:// (local development only)
  --timeout <seconds>         deadline of each request (default 30)

Profiles: --config <file> (or GRANTLINE_CONFIG, ./.grantline.json, ~/.config/grantline/config.json) holds
  {"profiles": {"<name>": {"issuer": "...", "client-id": "...", "client-secret-file": "...", ...}}}
  with the long flag names as keys; --profile <name> (or GRANTLINE_PROFILE, else "default") picks one.
  Flags win over the profile; relative paths resolve against the file's folder.

Values that begin with "-" (one opaque token or key id in 64 does) are read as values: the argument after an
  option that takes one is its value unless it is a --long option, an argument that is not an option is
  positional, and so is every argument after "--".

Output:
  -o, --output <format>       json (default: one JSON document on stdout), token (the access token alone),
                              header (an Authorization header line), env (export NAME='value' lines)
  -v, --verbose               the requests and responses on stderr, with secrets, assertions and tokens
                              redacted (a short prefix and the length), and the decoded token claims`

const GRANT_HELP = `Grant parameters:
  -p, --param name=value      any parameter; repeat a name to send it several times
  -s, --scope <scope>         (repeatable: joined with spaces)
  --audience <uri>            (repeatable)  --resource <uri>   (repeatable, RFC 8707)`

export const COMMAND_HELP: Record<string, { summary: string; usage: string; details?: string }> = {
  token: {
    summary: 'any grant at the token endpoint, no whitelist',
    usage: 'grantline token <grant-type> [-p name=value ...] [server and client flags]',
    details: `<grant-type> is any string the server knows (client_credentials, a URN...). Short names:
token-exchange, jwt-bearer, saml2-bearer, device-code, ciba.
Example: grantline token urn:example:grant:magic -p ticket=42 -p audience=a -p audience=b ...`,
  },
  'client-credentials': {
    summary: 'the client credentials grant',
    usage: 'grantline client-credentials [--scope s] [--audience a] [--resource r] [flags]',
  },
  exchange: {
    summary: 'RFC 8693 token exchange',
    usage: 'grantline exchange --subject-token-file <f> [--subject-token-type t] [--actor-token-file <f>]',
    details: `  --subject-token <v|->  --subject-token-file <f>   the token to exchange (- reads stdin)
  --subject-token-type t   access_token (default), refresh_token, id_token, jwt, saml1, saml2, or a URI
  --actor-token <v|->, --actor-token-file <f>, --actor-token-type t
  --requested-token-type t
  --audience, --resource   repeatable`,
  },
  'jwt-bearer': {
    summary: 'RFC 7523 JWT bearer grant: an assertion, or one built and signed here',
    usage:
      'grantline jwt-bearer (--assertion <jwt|-> | --assertion-file <f> | --sign-key <f> [--sub s] [--claim k=v])',
    details: `  --sign-key <file>      sign the assertion with this key (JWK or PEM); iss and sub default to the
                         client id, aud to the issuer, exp to 60 s, jti random
  --iss, --sub, --aud    claims of the built assertion; --claim name=value adds any claim (JSON values
                         are parsed: --claim n=1 is a number); --sign-kid, --sign-alg`,
  },
  'saml2-bearer': {
    summary: 'RFC 7522 SAML 2.0 bearer grant',
    usage: 'grantline saml2-bearer --assertion-file <xml> [--encoded] [flags]',
    details: '  the XML is base64url-encoded for you; --encoded when the file already is',
  },
  refresh: {
    summary: 'the refresh token grant',
    usage: 'grantline refresh (<refresh-token> | - | --refresh-token-file <f>) [flags]',
  },
  device: {
    summary: 'RFC 8628 device authorization: shows the code, polls until approved',
    usage: 'grantline device [--scope s] [--open] [flags]',
    details: `The user code and the verification URI go to stderr, with a countdown on a terminal; the tokens go
to stdout once the user approved. --open opens the verification URI in a browser (best effort).`,
  },
  login: {
    summary: 'authorization code + PKCE through a loopback redirect (127.0.0.1, random port)',
    usage: 'grantline login [--scope s] [--no-open] [--par | --jar <key>] [--jarm] [flags]',
    details: `Prints the authorization URL on stderr and opens a browser when one is available (xdg-open/open,
never required); the redirect comes back to http://127.0.0.1:<random port>/callback.
  --redirect-path <p>    path of the redirect URI (default /callback); --port <n> to fix the port
  --scope <s>            default openid (then a nonce is sent and checked)
  --no-open              only print the URL      --wait <seconds>   give up after (default 300)
  --par                  push the request first (RFC 9126)
  --jar <key file>       send a signed request object (RFC 9101), signed with this JWK or PEM key
  --jarm                 ask for a JWT-secured authorization response (response_mode=jwt)
  --prompt <p>           e.g. login, consent; -p name=value adds any authorization request parameter`,
  },
  introspect: {
    summary: 'RFC 7662 token introspection',
    usage: 'grantline introspect (<token> | - | --token-file <f>) [--token-type-hint h] [flags]',
  },
  revoke: {
    summary: 'RFC 7009 token revocation',
    usage: 'grantline revoke (<token> | - | --token-file <f>) [--token-type-hint h] [flags]',
  },
  userinfo: {
    summary: 'the UserInfo endpoint with an access token',
    usage: 'grantline userinfo (<access-token> | - | --token-file <f>) [--sub <expected subject>] [flags]',
    details: '  JSON or signed/encrypted JWT responses (fetchUserInfo); --sub checks the subject',
  },
  discover: {
    summary: "print the server's metadata",
    usage: 'grantline discover --issuer <url> [--insecure]',
  },
  decode: {
    summary: "a JWT's header and claims, and whether it verifies against the issuer's JWKS",
    usage: 'grantline decode (<jwt> | - | --token-file <f>) [--issuer url | --jwks-uri url] [--no-verify]',
    details: `The issuer defaults to the token's "iss" claim; its JWKS is found by discovery. Prints
{header, payload, verified, jwks_uri, expired}; exit 5 when the signature does not verify.`,
  },
  demo: {
    summary: 'start the embedded authorization server (dev only, from a clone) and print the flags to use',
    usage: 'grantline demo [--mtls] [--require-dpop-nonce] [--dir <folder>] [-o json]',
    details: `Development only: it runs demo/server.ts (oidc-provider) from a clone of the grantline repository,
loading oidc-provider and tsx (devDependencies) only when this command runs. It writes the client
secrets, a private key (JWK and PEM), certificates (--mtls) and a profiles file to a temporary folder
(or --dir), prints command lines to try, answers "approve <user code>" typed on its stdin, and stays
up until Ctrl-C.`,
  },
}

/** The commands that obtain tokens: their help also shows the grant output flags. */
const GRANT_COMMANDS = [
  'token',
  'client-credentials',
  'exchange',
  'jwt-bearer',
  'saml2-bearer',
  'refresh',
  'device',
  'login',
]

const ORDER = [...GRANT_COMMANDS, 'introspect', 'revoke', 'userinfo', 'discover', 'decode', 'demo']

export function mainHelp(version: string): string {
  const width = Math.max(...ORDER.map((name) => name.length))
  return `grantline ${version}: an OAuth 2.0 / OpenID Connect client for the terminal

Usage: grantline <command> [flags]      grantline <command> --help

Commands:
${ORDER.map((name) => `  ${name.padEnd(width)}  ${COMMAND_HELP[name]!.summary}`).join('\n')}

${SERVER_HELP}

${GRANT_HELP}

${EXIT_CODES_HELP}

Try it: npx grantline demo (from a clone), then the commands it prints.
`
}

export function commandHelp(name: string): string {
  const entry = COMMAND_HELP[name]!
  const serverLess = name === 'demo' || name === 'decode'
  return [
    `grantline ${name}: ${entry.summary}`,
    '',
    `Usage: ${entry.usage}`,
    ...(entry.details ? ['', entry.details] : []),
    ...(serverLess ? [] : ['', SERVER_HELP]),
    ...(GRANT_COMMANDS.includes(name) ? ['', GRANT_HELP] : []),
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n')
}
