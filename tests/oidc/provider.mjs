// A real OpenID provider (oidc-provider 8.x) for Stoa's end-to-end tenant realm test
// (crates/stoa/tests/it/oidc.rs). Test-only: it listens on 127.0.0.1 and issues tokens to
// hard-wired confidential clients without any user interaction.
//
//   node provider.mjs '<config JSON>'
//
// config: {
//   "alg": "RS256" | "ES256" | "EdDSA",          // signing algorithm of the access tokens
//   "clients": { "<client_id>": { <extra claims> } } // secret of every client: "secret"
// }
//
// Tokens: the client_credentials grant with a resource indicator (RFC 8707) yields a signed JWT
// access token (`typ: at+jwt`) whose `aud` is the requested resource and `sub` the client id;
// the client's extra claims (roles, tenant_id, ...) are added as top-level claims.
//
// Once listening, prints one JSON line on stdout:
//   {"ready":true,"issuer":"http://127.0.0.1:PORT","token_endpoint":"...","kid":"..."}
// Test controls (outside the provider's own routes):
//   POST /__test/rotate  switch to a newly generated signing key; the old key is no longer
//                        published. Answers {"kid": "<new kid>"}.
//   GET  /__test/stats   {"discovery": n, "jwks": n, "token": n}: requests served so far by the
//                        discovery, JWKS and token endpoints (the controls are not counted).
// Exits when stdin closes, so it never outlives the test that started it.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');
const alg = config.alg ?? 'RS256';
const clientClaims = config.clients ?? {};

function generateKey() {
  let pair;
  switch (alg) {
    case 'RS256':
      pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      break;
    case 'ES256':
      pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      break;
    case 'EdDSA':
      pair = generateKeyPairSync('ed25519');
      break;
    default:
      throw new Error(`unsupported alg ${alg}`);
  }
  return { ...pair.privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig' };
}

function makeProvider(issuer, key) {
  return new Provider(issuer, {
    jwks: { keys: [key] },
    clients: Object.keys(clientClaims).map((clientId) => ({
      client_id: clientId,
      client_secret: 'secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      id_token_signed_response_alg: alg,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        // Any absolute URL the client asks for is a resource server taking JWT access tokens.
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (!/^https?:\/\//.test(resourceIndicator)) throw new errors.InvalidTarget();
          return {
            scope: 'stoa:read stoa:write',
            audience: resourceIndicator,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    extraTokenClaims: async (_ctx, token) => clientClaims[token.clientId],
    ttl: { ClientCredentials: 300 },
    cookies: { keys: ['stoa-oidc-test-cookie-key'] },
    enabledJWA: {
      idTokenSigningAlgValues: [alg],
      userinfoSigningAlgValues: [alg],
      introspectionSigningAlgValues: [alg],
      authorizationSigningAlgValues: [alg],
    },
  });
}

const stats = { discovery: 0, jwks: 0, token: 0 };
let current;
let currentKid;

function rotate(issuer) {
  const key = generateKey();
  current = makeProvider(issuer, key).callback();
  currentKid = key.kid;
  return currentKid;
}

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/__test/stats' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (path === '/__test/rotate' && req.method === 'POST') {
    const kid = rotate(server.issuer);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kid }));
    return;
  }
  if (path === '/.well-known/openid-configuration') stats.discovery += 1;
  else if (path === '/jwks') stats.jwks += 1;
  else if (path === '/token') stats.token += 1;
  current(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  server.issuer = `http://127.0.0.1:${port}`;
  rotate(server.issuer);
  process.stdout.write(`${JSON.stringify({
    ready: true,
    issuer: server.issuer,
    token_endpoint: `${server.issuer}/token`,
    kid: currentKid,
  })}\n`);
});

// The parent holds our stdin: when it goes away (even killed), so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
