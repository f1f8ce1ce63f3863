import { createServer, type AddressInfo, type Server } from 'node:net';
import { startMoto } from '../worker/embedded-moto';
import { withFreshPorts } from '../worker/net';

// Servers are started on ports picked free a moment before: another process can take the port in
// between. A clash must fail fast and, where Leakstop picked the port, be retried on a fresh one.

test('withFreshPorts retries a failed start and returns the first success', async () => {
  const warnings: string[] = [];
  let calls = 0;
  const started = await withFreshPorts(
    'thing',
    3,
    async () => {
      calls++;
      if (calls < 3) throw new Error(`port ${calls} taken\nmore detail`);
      return 'up';
    },
    (s) => warnings.push(s),
  );
  expect(started).toBe('up');
  expect(warnings).toEqual([
    'thing did not start (attempt 1 of 3), retrying on fresh ports: port 1 taken',
    'thing did not start (attempt 2 of 3), retrying on fresh ports: port 2 taken',
  ]);
});

test('withFreshPorts gives up after its attempts with the last error', async () => {
  let calls = 0;
  await expect(withFreshPorts('thing', 2, async () => Promise.reject(new Error(`failure ${++calls}`)), () => undefined)).rejects.toThrow('failure 2');
  expect(calls).toBe(2);
});

test('moto on a port that is already taken fails at once, saying it exited', async () => {
  // The squatter binds a port of the OS's choosing: no window in which another process could take it.
  const squatter: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = squatter.address() as AddressInfo;
  try {
    const started = Date.now();
    await expect(startMoto(port)).rejects.toThrow(/moto exited with code/);
    expect(Date.now() - started).toBeLessThan(25_000); // not the 30 s start-up wait
  } finally {
    squatter.close();
  }
});
