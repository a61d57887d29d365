import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a redis-server that can stop forwarding on the
 * connections it carries without closing them: what a NAT or load balancer does when it
 * drops an idle mapping (no reset, packets just vanish). New connections still go through.
 */
export interface FreezingProxy {
  readonly url: string;
  /** Drops, from now on, what existing connections send (to the server, to the client, or both). */
  freeze(direction?: 'both' | 'toClient'): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<FreezingProxy> {
  const pairs: { client: Socket; server: Socket; toServer: boolean; toClient: boolean }[] = [];
  const proxy: Server = createServer((client) => {
    const server = connect(targetPort, '127.0.0.1');
    const pair = { client, server, toServer: true, toClient: true };
    pairs.push(pair);
    client.on('data', (chunk) => {
      if (pair.toServer) server.write(chunk);
    });
    server.on('data', (chunk) => {
      if (pair.toClient) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze(direction = 'both') {
      for (const pair of pairs) {
        pair.toClient = false;
        if (direction === 'both') pair.toServer = false;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.server.destroy();
        }
        proxy.close(() => resolve());
      }),
  };
}
