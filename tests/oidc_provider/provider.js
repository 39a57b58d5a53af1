// A real OpenID Connect provider (panva's oidc-provider) on loopback, for the sign-in
// tests. Started by tests/oidc_fixture.py; configured from the environment:
//   OIDC_PORT           port on 127.0.0.1
//   OIDC_CLIENTS        JSON list of oidc-provider client metadata (client_id, secret, URIs)
//   OIDC_USERS          JSON object: login name -> claims (name, email, groups, roles, ...)
// Logins use the provider's own development forms (devInteractions): any password is
// accepted for a login name listed in OIDC_USERS. Like Entra ID with the "groups" and
// "roles" claims configured, the ID token carries groups, roles, tid and oid.
// Prints "ready <issuer>" on stdout when it listens.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS);
const users = JSON.parse(process.env.OIDC_USERS);

const provider = new Provider(issuer, {
  clients,
  claims: {
    openid: ["sub", "groups", "roles", "tid", "oid"],
    profile: ["name", "preferred_username"],
    email: ["email"],
  },
  conformIdTokenClaims: false, // every claim of the granted scopes in the ID token, as Entra
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ["nara-test-cookie-key"] },
  async findAccount(_ctx, id) {
    const user = users[id];
    if (!user) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...user }; } };
  },
});
provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
