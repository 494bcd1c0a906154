/**
 * Configuration is read once, with defaults for development and a clear failure naming the variable.
 */
import { ConfigError, loadConfig } from '../src/config';
import { DEV_TOKENS } from '../src/contracts/dev-defaults';
import { main, parseArgs } from '../src/main';

describe('loadConfig', () => {
  it('gives the embedded development defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.upstreams.identity).toEqual({ url: undefined, token: DEV_TOKENS.identity, devToken: true });
    expect(c.sqlitePath).toBe('data/usergraph.db');
    expect(c.graphiql).toBe(true);
    expect(c.introspection).toBe(true);
  });

  it('reads the operation budget with its documented defaults and refuses values out of range', () => {
    expect(loadConfig({})).toMatchObject({ operationTimeoutMs: 10_000, maxUpstreamCalls: 1000, maxResponseBytes: 16 * 1024 * 1024 });
    expect(loadConfig({ OPERATION_TIMEOUT_MS: '1500', MAX_UPSTREAM_CALLS: '50', MAX_RESPONSE_BYTES: '65536' })).toMatchObject({
      operationTimeoutMs: 1500,
      maxUpstreamCalls: 50,
      maxResponseBytes: 65536,
    });
    expect(() => loadConfig({ MAX_UPSTREAM_CALLS: '0' })).toThrow('MAX_UPSTREAM_CALLS must be an integer from 1 to 1000000, but got: "0"');
    expect(() => loadConfig({ OPERATION_TIMEOUT_MS: 'soon' })).toThrow(ConfigError);
  });

  it('serves no subgraph unless FEDERATION=subgraph, and refuses any other FEDERATION', () => {
    expect(loadConfig({}).federation).toBe('off');
    expect(loadConfig({ FEDERATION: 'off' }).federation).toBe('off');
    expect(loadConfig({ FEDERATION: 'subgraph' }).federation).toBe('subgraph');
    expect(() => loadConfig({ FEDERATION: 'supergraph' })).toThrow('FEDERATION must be off or subgraph, but got: "supergraph"');
    expect(() => loadConfig({ FEDERATION: 'true' })).toThrow(ConfigError);
  });

  it('limits _entities to MAX_ENTITIES representations per operation, 100 unless set', () => {
    expect(loadConfig({}).limits.entities).toBe(100);
    expect(loadConfig({ MAX_ENTITIES: '500' }).limits.entities).toBe(500);
    expect(() => loadConfig({ MAX_ENTITIES: '0' })).toThrow('MAX_ENTITIES must be an integer from 1 to 10000, but got: "0"');
    expect(() => loadConfig({ MAX_ENTITIES: '20000' })).toThrow(ConfigError);
  });

  it('reads the answer cache per upstream, off unless a CACHE_TTL_<UPSTREAM>_S is set, and refuses values out of range', () => {
    expect(loadConfig({}).cache).toEqual({ ttlS: { evenergy: 0, vrm: 0, identity: 0, podero: 0, timesheet: 0 }, maxEntries: 10_000, maxMb: 64 });
    const c = loadConfig({ CACHE_TTL_IDENTITY_S: '30', CACHE_TTL_PODERO_S: '5', CACHE_TTL_VRM_S: '0', CACHE_MAX_ENTRIES: '500', CACHE_MAX_MB: '8' });
    expect(c.cache).toEqual({ ttlS: { evenergy: 0, vrm: 0, identity: 30, podero: 5, timesheet: 0 }, maxEntries: 500, maxMb: 8 });
    expect(() => loadConfig({ CACHE_TTL_TIMESHEET_S: '-1' })).toThrow('CACHE_TTL_TIMESHEET_S must be an integer from 0 to 86400, but got: "-1"');
    expect(() => loadConfig({ CACHE_TTL_EVENERGY_S: '1.5' })).toThrow('CACHE_TTL_EVENERGY_S must be an integer from 0 to 86400, but got: "1.5"');
    expect(() => loadConfig({ CACHE_TTL_IDENTITY_S: '90000' })).toThrow(/CACHE_TTL_IDENTITY_S/);
    expect(() => loadConfig({ CACHE_TTL_VRM_S: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ CACHE_MAX_ENTRIES: '0' })).toThrow('CACHE_MAX_ENTRIES must be an integer from 1 to 10000000, but got: "0"');
    expect(() => loadConfig({ CACHE_MAX_MB: '100000' })).toThrow('CACHE_MAX_MB must be an integer from 1 to 65536, but got: "100000"');
  });

  it('accepts batches of MAX_BATCH operations, 10 unless set, and refuses a MAX_BATCH below 1', () => {
    expect(loadConfig({}).maxBatch).toBe(10);
    expect(loadConfig({ MAX_BATCH: '3' }).maxBatch).toBe(3);
    expect(() => loadConfig({ MAX_BATCH: '0' })).toThrow(/MAX_BATCH/);
  });

  it('reads CORS_ORIGINS as exact origins, allows * only outside production, and refuses anything else', () => {
    expect(loadConfig({}).corsOrigins).toBeUndefined();
    expect(loadConfig({ CORS_ORIGINS: ' https://app.example.com , http://localhost:5173/ ,HTTPS://Admin.Example.com:443' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'https://admin.example.com',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig({ ...prod, CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS=\* .* refused in production/);
    expect(loadConfig({ ...prod, CORS_ORIGINS: 'https://app.example.com' }).corsOrigins).toEqual(['https://app.example.com']);
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'ftp://app.example.com', '*,https://app.example.com', 'https://app.example.com?x=1', 'null']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must be \* or comma-separated origins/);
    }
  });

  it('turns GraphiQL and introspection off in production unless enabled, and requires JWT settings there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET or JWT_JWKS_URL must be set in production/);
    const c = loadConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://issuer.example/jwks.json' });
    expect([c.graphiql, c.introspection]).toEqual([false, false]);
    expect(loadConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://issuer.example/jwks.json', GRAPHIQL: 'true' }).graphiql).toBe(true);
  });

  it('requires a service token for a real upstream in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), EVENERGY_URL: 'https://api.ev.energy/v2' })).toThrow(/EVENERGY_TOKEN must be set/);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer from 0 to 65535, but got: "eighty"/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ IDENTITY_URL: 'not a url' }, /IDENTITY_URL must be an absolute URL/],
    [{ IDENTITY_URL: 'ftp://x/api/v1' }, /IDENTITY_URL must be an http\(s\) URL/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32 characters/],
    [{ GRAPHIQL: 'maybe' }, /GRAPHIQL must be true or false/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes DATABASE_URL only as a postgres URL with a host, and never repeats it (it holds a password) when refusing it', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:pw@db.internal:5432/usergraph' }).databaseUrl).toBe('postgres://u:pw@db.internal:5432/usergraph');
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@localhost/usergraph' }).databaseUrl).toBe('postgresql://u@localhost/usergraph');
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
    for (const [value, message] of [
      ['not a url s3cret', /does not parse as a URL/],
      ['mysql://u:s3cret@db/x', /must start with postgres:\/\/ or postgresql:\/\/, but it starts with mysql:\/\//],
      ['postgres:///x?password=s3cret', /must name a host/],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ DATABASE_URL: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('strips a trailing slash from upstream URLs', () => {
    expect(loadConfig({ IDENTITY_URL: 'https://id.markettrack.com/api/v1/' }).upstreams.identity.url).toBe('https://id.markettrack.com/api/v1');
  });
});

describe('the command line', () => {
  it('parses flags with values, inline values and booleans', () => {
    expect(parseArgs(['emulators', '--seed', '7', '--people=20', '--json'])).toEqual({ command: 'emulators', flags: { seed: '7', people: '20', json: true } });
  });

  it('refuses stray arguments', () => {
    expect(() => parseArgs(['start', 'now'])).toThrow(/unexpected argument "now"/);
  });

  it('knows sync’s --quiet and --report, and nothing else', async () => {
    expect(parseArgs(['sync', '--report'])).toEqual({ command: 'sync', flags: { report: true } });
    await expect(main(['sync', '--repair'])).rejects.toThrow('unknown option --repair; expected one of --quiet, --report');
  });
});
