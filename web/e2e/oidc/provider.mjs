// A real OpenID Connect provider for the browser tests: panva's oidc-provider (certified), with
// its development login form, one public client of the web app (authorization code + PKCE) and
// one user whose claims map to a patronato operator. Access tokens are JWTs (RS256) for the
// audience `combipat`, carrying the claims under the names a production provider might use
// (inps_profilo, codice_patronato, codice_ufficio), which the server maps with COMBIPAT_OIDC_*.
//
//   OIDC_PORT=… OIDC_APP_ORIGIN="http://127.0.0.1:… [http://127.0.0.1:…]" node e2e/oidc/provider.mjs
// (one origin per server of the run: scripts/web.sh serves one per Playwright worker)
//
// Started by `scripts/web.sh e2e`; never part of the served app.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const appOrigins = (process.env.OIDC_APP_ORIGIN ?? '').split(' ').filter(Boolean);
if (!port || appOrigins.length === 0) throw new Error('OIDC_PORT and OIDC_APP_ORIGIN are required');
const issuer = `http://127.0.0.1:${port}`;

/** The provider's users: login → claims (both operators of INCA Roma Esquilino). */
const USERS = {
  'giulia.conti': { name: 'Giulia Conti', inps_profilo: 'OPERATORE', codice_patronato: 'INCA', codice_ufficio: 'INCA-RM01' },
  'paolo.brevi': { name: 'Paolo Brevi', inps_profilo: 'OPERATORE', codice_patronato: 'INCA', codice_ufficio: 'INCA-RM01' },
};
/** Access tokens' lifetime in seconds: Paolo Brevi's are short, to see a session expire. */
const lifetime = (accountId) => (accountId === 'paolo.brevi' ? 5 : 600);

const API = 'urn:combipat:api';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'combipat-web',
      token_endpoint_auth_method: 'none',
      redirect_uris: appOrigins.map((origin) => `${origin}/accesso/callback`),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(16).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name'] },
  async findAccount(_ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, name: user.name }) };
  },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => API,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== API) throw new Error(`unknown resource ${resource}`);
        return {
          scope: 'openid profile',
          audience: 'combipat',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  async extraTokenClaims(_ctx, token) {
    const user = USERS[token.accountId];
    return user ? { ...user } : undefined;
  },
  ttl: { AccessToken: (_ctx, token) => lifetime(token.accountId) },
  pkce: { required: () => true },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider at ${issuer}`);
});
