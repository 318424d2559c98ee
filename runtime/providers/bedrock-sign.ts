/**
 * SigV4 for Bedrock requests, with `@smithy/signature-v4` (the AWS SDK's
 * own signer) hashing with node:crypto through `@smithy/core`'s `Hash`, as
 * the SDK does in Node (the pure-JS `@aws-crypto/sha256-js` measured 1.2×
 * slower in a paired run of bench/cloud-adapters.ts). Service `bedrock`; the path is
 * URI-escaped once more for the canonical request, as for every AWS
 * service but S3, which is what lets a model id with `:` or an ARN with `/`
 * sign correctly. The clock is a parameter: `now` is the adapter's.
 */

import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentials } from "./types.js";

export const BEDROCK_SIGNING_SERVICE = "bedrock";

/** What a signed request adds: the headers to send, and the values to scrub from anything the upstream says. */
export interface Signed {
  headers: Record<string, string>;
  /** The secret key, the session token and this request's signature. */
  secrets: string[];
}

/** A SHA-256 (keyed: HMAC) hash constructor over node:crypto. */
const SHA256 = Hash.bind(null, "sha256");

/** One signer per credentials and service (the credentials object lives as long as its graph). */
const signers = new WeakMap<AwsCredentials, Map<string, SignatureV4>>();

function signerFor(creds: AwsCredentials, service: string): SignatureV4 {
  let byService = signers.get(creds);
  if (byService === undefined) signers.set(creds, (byService = new Map()));
  let signer = byService.get(service);
  if (signer === undefined) {
    const credentials = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}) };
    // No `x-amz-content-sha256` header: outside S3 the payload hash is part of the canonical request anyway.
    signer = new SignatureV4({ credentials, region: creds.region, service, sha256: SHA256, applyChecksum: false });
    byService.set(service, signer);
  }
  return signer;
}

/**
 * Signs a `method` request of `body` to `url` with `headers` (lower-case
 * names) for `service`; returns every header to send, `host` included.
 * Bedrock's requests are POSTs for the `bedrock` service; the other
 * parameters are there for the published SigV4 test vectors.
 */
export async function signRequest(
  creds: AwsCredentials,
  url: URL,
  headers: Record<string, string>,
  body: string,
  nowMs: number,
  { method = "POST", service = BEDROCK_SIGNING_SERVICE }: { method?: string; service?: string } = {},
): Promise<Signed> {
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signed = await signerFor(creds, service).sign(
    {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body,
    },
    { signingDate: new Date(nowMs) },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k.toLowerCase()] = String(v);
  const signature = /Signature=([0-9a-f]+)/.exec(out["authorization"] ?? "")?.[1];
  const secrets = [creds.secretAccessKey, ...(creds.sessionToken ? [creds.sessionToken] : []), ...(signature ? [signature] : [])];
  return { headers: out, secrets };
}
