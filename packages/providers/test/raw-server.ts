// A bare node:http server per test (for answers the fake model server cannot frame), closed
// after each test; the provider pools are closed after the file.
import { createServer, type RequestListener, type Server } from 'node:http';
import { closeProviderPools } from '@troupe/providers';
import { afterAll, afterEach } from 'vitest';

/** Registers the hooks; the returned function starts a server answering with `handler`. */
export function rawServerPerTest(): (handler: RequestListener) => Promise<string> {
  let server: Server | undefined;
  afterEach(async () => {
    const current = server;
    server = undefined;
    if (current !== undefined) {
      current.closeAllConnections();
      await new Promise((resolve) => current.close(resolve));
    }
  });
  afterAll(() => closeProviderPools());
  return async (handler) => {
    const started = createServer(handler);
    server = started;
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
    const address = started.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return `http://127.0.0.1:${address.port}`;
  };
}
