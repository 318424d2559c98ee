/**
 * A fake embeddings upstream on 127.0.0.1 speaking OpenAI's
 * `POST /v1/embeddings` wire format (`{ object: "list", data: [{ object:
 * "embedding", index, embedding }], model, usage }`), answering fixed
 * vectors per text so every similarity a test meets is known. A text
 * containing `fail-embed` gets a 500 whose message echoes the credential it
 * was sent, for the tests that the gateway never passes it on.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Unit vectors in 4 dimensions: x and a rotation of it by a known angle. */
const at = (cos: number): number[] => [cos, Math.sqrt(1 - cos * cos), 0, 0];
export const VECTORS: Record<string, number[]> = {};
/** Registers a base text and its neighbours at the given similarities, each in its own plane so scenarios never meet. */
export function family(plane: number, texts: Record<string, number>): void {
  for (const [text, cos] of Object.entries(texts)) {
    const v = at(cos);
    VECTORS[text] = plane === 0 ? v : [v[2]!, v[3]!, v[0]!, v[1]!];
  }
}

export interface EmbedUpstream {
  readonly baseUrl: string;
  /** Texts embedded, in order. */
  readonly inputs: string[];
  readonly server: Server;
}

/** OpenAI's embeddings endpoint: `{ object: "list", data: [{ object: "embedding", index, embedding }], model, usage }`. */
export async function startEmbeddings(): Promise<EmbedUpstream> {
  const inputs: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as { model: string; input: string | string[] };
      const list = typeof body.input === "string" ? [body.input] : body.input;
      inputs.push(...list);
      if (req.url !== "/v1/embeddings" || list.some((t) => t.includes("fail-embed"))) {
        // An error that echoes the credential it was sent: the gateway must never pass it on.
        res.writeHead(500, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ error: { message: `failed for ${req.headers.authorization}`, type: "server_error" } }));
      }
      const data = list.map((t, index) => ({ object: "embedding", index, embedding: VECTORS[t] ?? [0, 0, 0, 1] }));
      const json = JSON.stringify({ object: "list", data, model: body.model, usage: { prompt_tokens: 5 * list.length, total_tokens: 5 * list.length } });
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(json)) });
      res.end(json);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { baseUrl: `http://127.0.0.1:${port}/v1`, inputs, server };
}

