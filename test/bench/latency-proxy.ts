// A TCP proxy on 127.0.0.1 that adds a fixed one-way latency to every byte in both directions: each
// chunk is held `delayMs` after it arrives, then written in order. Connections are independent (no
// chain across them) and the delay is computed from each chunk's arrival, so concurrent requests
// overlap exactly as they would on a long link: what costs time is a round trip, not a byte.
import net from 'node:net';

export interface LatencyProxy {
  port: number;
  /** Connections accepted so far (TLS handshakes the doctor paid for). */
  connections(): number;
  close(): Promise<void>;
}

function delayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  let chain = Promise.resolve();
  let ended = false;
  from.on('data', (chunk: Buffer) => {
    const due = Date.now() + delayMs;
    chain = chain
      .then(() => new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now()))))
      .then(() => {
        if (!to.destroyed) to.write(chunk);
      });
  });
  from.on('end', () => {
    ended = true;
    void chain.then(() => to.end());
  });
  from.on('close', () => {
    if (!ended) void chain.then(() => to.destroy());
  });
}

export async function latencyProxy(upstreamPort: number, delayMs: number): Promise<LatencyProxy> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((client) => {
    connections++;
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    delayed(client, upstream, delayMs);
    delayed(upstream, client, delayMs);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
