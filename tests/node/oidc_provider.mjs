// A real OpenID Connect provider for the console's tests (the npm `oidc-provider` package).
//
//   node oidc_provider.mjs '{"port": 0, "clientId": "...", "clientSecret": "...",
//                            "redirectUris": ["..."], "accounts": {"login": {claims}}}'
//
// Prints `ready <issuer>` once it listens. The sign-in page is deliberately plain: a form
// that takes the account's login name (no password; the accounts are test fixtures) and
// finishes the interaction with a grant for the scopes asked. Everything else (discovery,
// the authorization endpoint, PKCE, the token endpoint, signed ID tokens, JWKS) is the
// library's own.

import http from "node:http";
import Provider from "oidc-provider";

const config = JSON.parse(process.argv[2]);

const server = http.createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.clientId,
    client_secret: config.clientSecret,
    redirect_uris: config.redirectUris,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  async findAccount(_ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  claims: {
    openid: ["sub"],
    profile: ["name", "preferred_username", "roles", "agency"],
    email: ["email"],
  },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [config.cookieKey ?? "test-provider-cookie-signing"] },
});
provider.on("server_error", (_ctx, err) => console.error("oidc-provider:", err));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><title>City sign-in</title><main><h1>City sign-in</h1>
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Login</label> <input id="login" name="login" autocomplete="username">
<button type="submit">Sign in</button></form></main></html>`);
    return;
  }
  const login = (await body(req)).get("login") ?? "";
  if (!Object.hasOwn(config.accounts, login)) {
    res.writeHead(401, { "content-type": "text/plain" });
    res.end("no such account");
    return;
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: login }, consent: { grantId } },
                                     { mergeWithLastSubmission: false });
}

const handle = provider.callback();
server.on("request", (req, res) => {
  const found = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(req.url, issuer).pathname);
  if (!found) return handle(req, res);
  interaction(req, res, found[1]).catch((err) => {
    console.error("interaction:", err);
    if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" });
    res.end(String(err.message ?? err));
  });
});

process.stdout.write(`ready ${issuer}\n`);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
