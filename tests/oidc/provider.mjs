// A real OpenID provider (node-oidc-provider, OpenID Certified) for the integration tests, on
// loopback only. Started by tests/api/support/oidc.rs:
//   OIDC_PORT           port to listen on (127.0.0.1), or 0 for one the system picks; the issuer
//                       is http://localhost:<port>, and "listening <port>" on standard output
//                       says the provider is ready
//   OIDC_REDIRECT_URI   the relying party's callback
//   OIDC_CLIENT_SECRET  the test client's secret (client id "tresor")
//   OIDC_KEYS_FILE      signing keys kept across restarts: every start adds a new RSA key in
//                       front (the one that signs), so a restart is a key rotation
// Sign-in has no form: the test answers the interaction with
//   GET /interaction/<uid>?account=<subject>~<email>~<1|0 email_verified>
// and consent is implied (every requested scope is granted).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const keysFile = process.env.OIDC_KEYS_FILE;

function signingKeys() {
  const kept = fs.existsSync(keysFile) ? JSON.parse(fs.readFileSync(keysFile, 'utf8')) : [];
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fresh = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
  const keys = [fresh, ...kept];
  fs.writeFileSync(keysFile, JSON.stringify(keys));
  return keys;
}

function claimsOf(accountId) {
  const [sub, email, verified] = accountId.split('~');
  const claims = { sub: accountId, name: `Test ${sub}` };
  if (email) claims.email = email;
  if (verified === '1') claims.email_verified = true;
  if (verified === '0') claims.email_verified = false;
  return claims;
}

function providerAt(issuer) {
  return new Provider(issuer, {
    clients: [
      {
        client_id: 'tresor',
        client_secret: process.env.OIDC_CLIENT_SECRET,
        redirect_uris: [process.env.OIDC_REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: signingKeys() },
    // The email claims travel in the ID token, as Google's do.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    findAccount: async (ctx, id) => ({ accountId: id, claims: async () => claimsOf(id) }),
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      await grant.save();
      return grant;
    },
  });
}

// The server listens before the provider exists: the issuer names the port it got.
let provider;
let handle;
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, provider.issuer);
  const interaction = url.pathname.match(/^\/interaction\/([A-Za-z0-9_-]+)$/);
  if (!interaction) return handle(req, res);
  const account = url.searchParams.get('account');
  if (!account) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('sign in: add ?account=<subject>~<email>~<1|0>');
  }
  try {
    await provider.interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});
server.listen(Number(process.env.OIDC_PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  provider = providerAt(`http://localhost:${port}`);
  handle = provider.callback();
  console.log(`listening ${port}`);
});
