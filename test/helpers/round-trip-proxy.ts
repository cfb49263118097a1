// A TCP proxy on 127.0.0.1 that makes round trips countable: it holds everything the server sends
// until the client has been quiet for `quietMs`, then releases it all at once. Whatever the client sends
// together (requests issued concurrently, on any number of connections) is answered in the same round;
// what it can only send after an answer needs another round. So `rounds()` is the depth of the run's
// request chain — a count that does not depend on how fast the machine is, as long as the client sends
// what belongs together within `quietMs` (TLS handshakes count: a new connection's first request costs
// two rounds, one on a kept-alive connection one).
import net from 'node:net';

export interface RoundTripProxy {
  port: number;
  rounds(): number;
  connections(): number;
  close(): Promise<void>;
}

export async function roundTripProxy(upstreamPort: number, quietMs = 400): Promise<RoundTripProxy> {
  let rounds = 0;
  let connections = 0;
  let lastClientData = 0;
  // The client spoke since the last release: the next release answers a new round.
  let pending = false;
  const held: { to: net.Socket; chunk: Buffer }[] = [];
  const sockets = new Set<net.Socket>();
  const release = () => {
    if (!held.length || Date.now() - lastClientData < quietMs) return;
    if (pending) rounds++;
    pending = false;
    for (const h of held.splice(0)) if (!h.to.destroyed) h.to.write(h.chunk);
  };
  const timer = setInterval(release, Math.max(10, Math.floor(quietMs / 10)));
  const srv = net.createServer((client) => {
    connections++;
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      lastClientData = Date.now();
      pending = true;
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('data', (chunk: Buffer) => held.push({ to: client, chunk }));
    // The server's end must not overtake its held data.
    upstream.on('end', () => held.push({ to: client, chunk: Buffer.alloc(0) }));
    upstream.on('close', () => {
      const flush = setInterval(() => {
        if (held.some((h) => h.to === client)) return;
        clearInterval(flush);
        client.end();
      }, 20);
      flush.unref();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    rounds: () => rounds,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        clearInterval(timer);
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
