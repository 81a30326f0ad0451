// Certificates for the mutual-TLS variant of the embedded server (RFC 8705), made fresh on every start.
// EC keys keep generation fast; everything is PEM because Node's TLS options want PEM.

import { X509Certificate, createPublicKey } from 'node:crypto'
import { generate } from 'selfsigned'

export interface MtlsMaterial {
  /** The CA that issued the server certificate and the PKI client certificate; trust it to reach the server. */
  caCertificate: string
  server: { certificate: string; privateKey: string }
  /** Self-signed client certificate, registered as `x5c` by the `self_signed_tls_client_auth` client. */
  selfSigned: { certificate: string; privateKey: string; jwk: Record<string, unknown> }
  /** CA-issued client certificate for the `tls_client_auth` client, matched by subject DN. */
  pki: { certificate: string; privateKey: string; subjectDn: string }
}

const ec = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const

export async function createMtlsMaterial(): Promise<MtlsMaterial> {
  const ca = await generate([{ name: 'commonName', value: 'grantline demo CA' }], {
    ...ec,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  })
  const server = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    ...ec,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  })
  const clientExtensions = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true },
    { name: 'extKeyUsage', clientAuth: true },
  ] as const
  const selfSigned = await generate([{ name: 'commonName', value: 'mtls-self-signed' }], {
    ...ec,
    extensions: [...clientExtensions],
  })
  const pki = await generate([{ name: 'commonName', value: 'mtls-pki' }], {
    ...ec,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [...clientExtensions],
  })

  const selfSignedCert = new X509Certificate(selfSigned.cert)
  const jwk = {
    ...createPublicKey(selfSigned.cert).export({ format: 'jwk' }),
    // RFC 7517 §4.7: x5c is standard base64 DER, not base64url.
    x5c: [selfSignedCert.raw.toString('base64')],
  }

  return {
    caCertificate: ca.cert,
    server: { certificate: server.cert, privateKey: server.private },
    selfSigned: { certificate: selfSigned.cert, privateKey: selfSigned.private, jwk },
    pki: {
      certificate: pki.cert,
      privateKey: pki.private,
      subjectDn: new X509Certificate(pki.cert).subject.split('\n').join(','),
    },
  }
}
