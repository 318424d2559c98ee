/**
 * bench/roles/relay: the floor of the process model: aigw's uWS edge
 * relaying each request to the upstream with one undici `dispatch`, and
 * nothing else (no parsing, no policy). What any gateway built this way
 * costs; aigw's figure minus this one is what its pipeline costs.
 */
import { Pool } from "undici";
import { createHttpServer } from "../../runtime/server/uws.js";
import { profilerMessage } from "./profiler.js";
import { onParent, reply } from "./protocol.js";

/** Relays `POST /v1/chat/completions` to `--upstream URL` until the parent stops it. */
export async function relayRole(args: readonly string[]): Promise<void> {
  const upstream = new Pool(args[args.indexOf("--upstream") + 1]!, { connections: null });
  const headers = ["content-type", "application/json", "accept", "application/json"];
  const server = createHttpServer({
    bodyLimit: () => 1 << 20,
    handler: async (req, res) => {
      const body = await req.body();
      const answer = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        upstream.dispatch(
          { path: "/v1/chat/completions", method: "POST", headers, body },
          {
            // onRequestStart marks the handler as undici's current (controller) interface
            onRequestStart: () => undefined,
            onResponseData: (_c, chunk) => void chunks.push(chunk),
            onResponseEnd: () => resolve(Buffer.concat(chunks)),
            onResponseError: (_c, err) => reject(err),
          },
        );
      });
      res.send(200, [["content-type", "application/json"]], answer);
    },
  });
  const port = await server.listen("127.0.0.1", 0);
  onParent(profilerMessage);
  reply({ type: "ready", port });
}
