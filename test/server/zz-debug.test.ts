import { it } from "vitest";
import { createHttpServer } from "../../runtime/server/uws.js";
it("dbg", async () => {
  const s = createHttpServer({ handler: async (req, res) => { console.log("in handler", req.method, req.path); const b = await req.body(); console.log("body", b.length); res.send(200, [["content-type","text/plain"]], "got " + b.length); }, bodyLimit: () => 10, onError: e => console.log("ERR", e) });
  const port = await s.listen("127.0.0.1", 0);
  console.log("port", port);
  const r = await fetch(`http://127.0.0.1:${port}/a/b?x=1`, { method: "POST", body: "hello" });
  console.log(r.status, await r.text());
  await s.close(100);
}, 5000);
