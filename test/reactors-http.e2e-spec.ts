/**
 * A reactor's position and lag are visible over HTTP: GET /api/reactors and
 * /metrics, on the real HTTP app over a LevelDB store.
 */
import { request, startInProcess, type InProcessServer } from './helpers/server';

describe('reactor status over HTTP', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess({ recorder: { source: 'none' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('reports each reactor with its position and lag in GET /api/reactors and /metrics', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const reactor = server.ledger.runReactor({
      name: 'http-probe',
      batchSize: 1,
      handle: async () => {
        calls += 1;
        // The second batch waits: the reactor stays behind while commands commit.
        if (calls === 2) await held;
      },
    });
    for (let i = 0; i < 5; i++)
      await server.ledger.execute(
        { type: 'SetClockOffset', data: { offsetSeconds: i } },
        { actor: { kind: 'cli' }, correlationId: 'probe' },
      );
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 10));

    const body = (await request(server.baseUrl, '/api/reactors')).json<{
      reactors: Array<{ name: string; position: number; headSeq: number; lagEvents: number; state: string }>;
    }>();
    const status = body.reactors.find((r) => r.name === 'http-probe');
    expect(status).toBeDefined();
    expect(status?.position).toBe(reactor.status().position);
    expect(status?.lagEvents).toBe((status?.headSeq ?? 0) - (status?.position ?? 0));
    expect(status?.lagEvents).toBeGreaterThan(0);

    const metrics = (await request(server.baseUrl, '/metrics')).text();
    expect(metrics).toMatch(
      new RegExp(`^qmdl_ledger_reactor_position\\{reactor="http-probe"\\} ${status?.position ?? -1}$`, 'm'),
    );
    expect(metrics).toMatch(/^qmdl_ledger_reactor_lag_events\{reactor="http-probe"\} [1-9][0-9]*$/m);
    release();
    await reactor.stop();
  });
});
