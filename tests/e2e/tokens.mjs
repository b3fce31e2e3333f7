// tokens.mjs - JWTs for the tests, signed with Node's own crypto: HS256 with a shared
// secret, RS256 and ES256 with generated key pairs (also exported as PEM and JWKS).
import { createHmac, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';

const b64url = (data) => Buffer.from(data).toString('base64url');

// A compact JWS of `claims` with `header` fields over the defaults. `sign` gets the
// signing input and returns the signature bytes.
function compact(header, claims, sign) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign(input))}`;
}

export const nowS = () => Math.floor(Date.now() / 1000);

// Claims for `sub` that pass: expiring in an hour, issued now.
export function claimsFor(sub, extra = {}) {
  return { sub, iat: nowS(), exp: nowS() + 3600, ...extra };
}

export class HsIssuer {
  constructor(secret = randomBytes(32).toString('hex')) { this.secret = secret; }
  token(sub, extra = {}, header = {}) {
    return compact({ alg: 'HS256', typ: 'JWT', ...header }, claimsFor(sub, extra),
      (input) => createHmac('sha256', this.secret).update(input).digest());
  }
  // A token signed with the right algorithm and a wrong key.
  forged(sub) {
    return compact({ alg: 'HS256', typ: 'JWT' }, claimsFor(sub),
      (input) => createHmac('sha256', 'not-the-secret-not-the-secret-000').update(input).digest());
  }
}

export class AsymmetricIssuer {
  // kind: 'rsa' (RS256) or 'ec' (ES256, P-256).
  constructor(kind = 'rsa', kid = `key-${randomBytes(4).toString('hex')}`) {
    this.kind = kind;
    this.kid = kid;
    this.alg = kind === 'rsa' ? 'RS256' : 'ES256';
    const { publicKey, privateKey } = kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.publicKey = publicKey;
    this.privateKey = privateKey;
  }
  publicPem() { return this.publicKey.export({ type: 'spki', format: 'pem' }); }
  jwk() { return { ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: this.alg, use: 'sig' }; }
  token(sub, extra = {}, header = {}) {
    return compact({ alg: this.alg, typ: 'JWT', kid: this.kid, ...header }, claimsFor(sub, extra), (input) => {
      const s = createSign('SHA256');
      s.update(input);
      return s.sign(this.kind === 'rsa' ? this.privateKey : { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    });
  }
}

// Tokens no verifier may accept, made from a good issuer's: alg none, an HS256 token
// keyed with the public key's PEM (algorithm confusion), an expired one.
export function unsignedToken(sub) {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claimsFor(sub)))}.`;
}

export function confusedToken(issuer, sub) {
  return compact({ alg: 'HS256', typ: 'JWT', kid: issuer.kid }, claimsFor(sub),
    (input) => createHmac('sha256', issuer.publicPem()).update(input).digest());
}

export const bearer = (token) => ({ authorization: `Bearer ${token}` });
