/**
 * A fake Google OAuth 2.0 token endpoint on 127.0.0.1 for the JWT-bearer
 * grant: it checks the grant type, verifies the assertion's RS256
 * signature against the service account's public key with `jose`, checks
 * its claims (iss, aud, scope, iat/exp within an hour, not expired at the
 * endpoint's clock), and issues opaque tokens with `expires_in`. Errors are
 * OAuth's `{ error, error_description }` with status 400 (or what the test
 * asks for). `serviceAccount()` mints a fresh key pair and the key file
 * JSON a Vertex provider reads.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify, type CryptoKey } from "jose";

export interface TokenEndpoint {
  /** `http://127.0.0.1:PORT/token`: the key file's `token_uri`. */
  readonly tokenUri: string;
  /** Tokens issued so far, in order. */
  readonly issued: string[];
  /** Exchanges attempted (issued or refused). */
  readonly attempts: number;
  /** The issued tokens still valid at the endpoint's clock. */
  isValid(token: string): boolean;
  /** Lifetime of the next tokens, in seconds (default 3599, as Google issues). */
  setLifetime(seconds: number): void;
  /** The next exchange is refused with `status` and an OAuth error body. */
  failNext(status?: number, description?: string): void;
  /** Holds the next exchanges until `release()` is called. */
  hold(): { release: () => void };
  close(): Promise<void>;
}

export interface ServiceAccountKey {
  /** The key file's JSON text, as `GOOGLE_APPLICATION_CREDENTIALS_JSON` holds it. */
  json: string;
  clientEmail: string;
  privateKeyPem: string;
  publicKey: CryptoKey;
}

/** A fresh RSA service account whose `token_uri` is `tokenUri`. */
export async function serviceAccount(tokenUri: string, clientEmail = "gateway@aigw-test.iam.gserviceaccount.com"): Promise<ServiceAccountKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const privateKeyPem = await exportPKCS8(privateKey);
  const publicKeyPem = await exportSPKI(publicKey);
  const json = JSON.stringify({
    type: "service_account",
    project_id: "aigw-test",
    private_key_id: "0123456789abcdef",
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: "1234567890",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: tokenUri,
  });
  return { json, clientEmail, privateKeyPem, publicKey: await importSPKI(publicKeyPem, "RS256") };
}

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Starts the endpoint; it trusts `account` only. `now` is its clock (ms). */
export async function startTokenEndpoint(account: () => ServiceAccountKey, now: () => number = Date.now): Promise<TokenEndpoint> {
  const sockets = new Set<Socket>();
  const expiry = new Map<string, number>();
  const issued: string[] = [];
  const failures: { status: number; description: string }[] = [];
  let held: Promise<void> | undefined;
  let lifetime = 3599;
  let attempts = 0;

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (raw += c));
    req.on("end", () => {
      void (async () => {
        attempts++;
        if (held) await held;
        const refuse = (status: number, error: string, description: string) =>
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error, error_description: description }));
        if (req.method !== "POST" || req.url !== "/token") return refuse(404, "not_found", `no route ${req.url}`);
        if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) return refuse(400, "invalid_request", "expected a form body");
        const form = new URLSearchParams(raw);
        if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return refuse(400, "unsupported_grant_type", "Invalid grant_type");
        const failure = failures.shift();
        if (failure) return refuse(failure.status, "invalid_grant", failure.description);
        const assertion = form.get("assertion") ?? "";
        const key = account();
        try {
          const { payload, protectedHeader } = await jwtVerify(assertion, key.publicKey, {
            algorithms: ["RS256"],
            issuer: key.clientEmail,
            audience: `http://127.0.0.1:${port}/token`,
            currentDate: new Date(now()),
            requiredClaims: ["iat", "exp", "scope"],
          });
          if (protectedHeader.typ !== "JWT") return refuse(400, "invalid_grant", "Invalid JWT header");
          if (payload.scope !== SCOPE) return refuse(400, "invalid_scope", `Invalid OAuth scope: ${String(payload.scope)}`);
          if (payload.exp! - payload.iat! > 3600) return refuse(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes)");
        } catch (err) {
          return refuse(400, "invalid_grant", `Invalid JWT Signature. (${(err as { code?: string }).code ?? "invalid"})`);
        }
        const token = `ya29.fake-${issued.length + 1}-${Math.random().toString(36).slice(2)}`;
        issued.push(token);
        expiry.set(token, now() + lifetime * 1000);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ access_token: token, expires_in: lifetime, token_type: "Bearer" }));
      })();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    tokenUri: `http://127.0.0.1:${port}/token`,
    issued,
    get attempts() {
      return attempts;
    },
    isValid: (token) => (expiry.get(token) ?? 0) > now(),
    setLifetime: (s) => void (lifetime = s),
    failNext: (status = 400, description = "Invalid JWT Signature.") => void failures.push({ status, description }),
    hold: () => {
      let release!: () => void;
      held = new Promise<void>((r) => (release = r));
      return {
        release: () => {
          held = undefined;
          release();
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
