// An independent check of Herald's card signatures: JCS (RFC 8785) written from the RFC's own recipe (sorted keys,
// JSON.stringify for strings and numbers) and Node's crypto for the detached JWS.
// Usage: node verify-card.mjs CARD.json JWKS.json
// Prints the canonical payload (base64url) on the first line, then "verified KID" or "failed: why"; exit code 0 when verified.
import { readFileSync } from 'node:fs';
import { createPublicKey, verify, constants } from 'node:crypto';

const jcs = (v) => v === null || typeof v !== 'object'
  ? JSON.stringify(v)
  : Array.isArray(v)
    ? '[' + v.map(jcs).join(',') + ']'
    : '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + jcs(v[k])).join(',') + '}';

const card = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const jwks = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const signatures = card.signatures ?? [];
delete card.signatures;
const payload = Buffer.from(jcs(card), 'utf8');
console.log(payload.toString('base64url'));

for (const s of signatures) {
  const header = JSON.parse(Buffer.from(s.protected, 'base64url').toString('utf8'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.typ !== 'JOSE') continue;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const input = Buffer.from(s.protected + '.' + payload.toString('base64url'), 'ascii');
  const options = header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : { key, padding: constants.RSA_PKCS1_PADDING };
  if (verify('sha256', input, options, Buffer.from(s.signature, 'base64url'))) {
    console.log('verified ' + header.kid);
    process.exit(0);
  }
}

console.log('failed: no signature verified');
process.exit(1);
