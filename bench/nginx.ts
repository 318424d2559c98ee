/**
 * bench/nginx: the proxy-limit anchor. nginx (Debian's package, installed
 * with apt-get on first use like wrk) as a plain HTTP/1.1 reverse proxy to
 * the same mock upstream, on the same pinned core, with upstream keep-alive:
 * what forwarding a request costs when a proxy does nothing else. aigw's CPU
 * per request and added latency are reported as ratios to it, from the same
 * run, so a figure means the same on any machine.
 *
 * One process (`master_process off`, one worker's event loop in it) so its
 * CPU time is read from one pid like every other contender's; access log
 * off like aigw's in the bench; response buffering off so streams are
 * relayed as they come, as a gateway must.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { FatalProbeError, waitUntil, type ProcessGroup, type Spawned } from "./children.js";
import { freePort } from "./peers.js";
import { ensureDebianCommand, type CommandAvailability } from "./system.js";

/** Finds nginx, installing it with apt-get when missing and running as root. */
export function ensureNginx(): CommandAvailability {
  return ensureDebianCommand("nginx", "nginx");
}

/** The configuration of a one-process reverse proxy from `port` to `upstreamBase` (`http://127.0.0.1:PORT`), files under `dir`. */
export function nginxConfig(dir: string, port: number, upstreamBase: string): string {
  const upstream = new URL(upstreamBase).host;
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${join(dir, "body")};
  proxy_temp_path ${join(dir, "proxy")};
  fastcgi_temp_path ${join(dir, "fastcgi")};
  uwsgi_temp_path ${join(dir, "uwsgi")};
  scgi_temp_path ${join(dir, "scgi")};
  keepalive_requests 1000000;
  upstream mock { server ${upstream}; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port} reuseport;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      client_body_buffer_size 64k;
    }
  }
}
`;
}

/** A running nginx. */
export interface RunningNginx {
  spawned: Spawned;
  url: string;
  /** Its configuration and temporary files (removed by `cleanup`, or when the group stops). */
  dir: string;
  cleanup: () => void;
}

/** Starts nginx pinned to `cpu` in front of `upstreamBase` and waits until a request goes through it. */
export async function startNginx(group: ProcessGroup, cpu: number, upstreamBase: string, path: string, headers: Record<string, string>, body: string): Promise<RunningNginx> {
  const dir = group.tempDir("aigw-bench-nginx-");
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, nginxConfig(dir, port, upstreamBase));
  // -e: the early error log too (before the config is read), so nothing is written outside `dir`.
  const spawned = group.spawn("nginx", "nginx", ["-p", dir, "-c", conf, "-e", join(dir, "error.log")], { cpu });
  const url = `http://127.0.0.1:${port}`;
  let gone: number | string | undefined;
  void spawned.exited.then((code) => (gone = code));
  await waitUntil(
    async () => {
      if (gone !== undefined) throw new FatalProbeError(`nginx exited (${gone}): ${spawned.stderrTail()}`);
      try {
        const res = await request(`${url}${path}`, { method: "POST", headers, body });
        await res.body.dump();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    },
    10_000,
    "nginx to proxy a request",
  );
  return { spawned, url, dir, cleanup: () => group.removeDir(dir) };
}
