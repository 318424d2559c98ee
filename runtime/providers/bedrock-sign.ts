/**
 * SigV4 for Bedrock requests, with `@smithy/signature-v4` (the AWS SDK's
 * own signer) and `@aws-crypto/sha256-js`. Service `bedrock`; the path is
 * URI-escaped once more for the canonical request, as for every AWS
 * service but S3, which is what lets a model id with `:` or an ARN with `/`
 * sign correctly. The clock is a parameter: `now` is the adapter's.
 */

import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentials } from "./types.js";

export const BEDROCK_SIGNING_SERVICE = "bedrock";

/** What a signed request adds: the headers to send, and the values to scrub from anything the upstream says. */
export interface Signed {
  headers: Record<string, string>;
  /** The secret key, the session token and this request's signature. */
  secrets: string[];
}

const signers = new WeakMap<AwsCredentials, SignatureV4>();

function signerFor(creds: AwsCredentials): SignatureV4 {
  let signer = signers.get(creds);
  if (signer === undefined) {
    const credentials = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}) };
    signer = new SignatureV4({ credentials, region: creds.region, service: BEDROCK_SIGNING_SERVICE, sha256: Sha256 });
    signers.set(creds, signer);
  }
  return signer;
}

/** Signs a POST of `body` to `url` with `headers` (lower-case names); returns every header to send, `host` included. */
export async function signRequest(creds: AwsCredentials, url: URL, headers: Record<string, string>, body: string, nowMs: number): Promise<Signed> {
  const signed = await signerFor(creds).sign(
    {
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
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
