import { createLogger } from '../../src/lib/logger';

const SECRET = 'configured-secret-"quoted"-value';

function capture(level: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ secrets: [SECRET], ...level, destination: { write: (line) => lines.push(line) } });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the level by name, an ISO time and the message', () => {
    const { logger, lines, parsed } = capture();
    logger.info({ upstream: 'vrm', ms: 12 }, 'upstream answered');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('}\n')).toBe(true);
    expect(parsed()[0]).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), upstream: 'vrm', ms: 12, msg: 'upstream answered' });
  });

  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ] as const)('at level %s writes only %j', (level, written) => {
    const { logger, parsed } = capture({ level });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(parsed().map((l) => l.level)).toEqual(written);
  });

  it('never writes a configured secret: not in the message, a field, a nested value, a key or a binding', () => {
    const { logger, lines, parsed } = capture();
    const child = logger.child({ requestId: 'req-1', header: `Token ${SECRET}` });
    child.warn({ token: SECRET, nested: { list: [`before ${SECRET} after`] }, [SECRET]: 1 }, `refused ${SECRET}`);
    const text = lines.join('');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    expect(parsed()[0]).toMatchObject({ requestId: 'req-1', token: '[redacted]', nested: { list: ['before [redacted] after'] }, '[redacted]': 1, msg: 'refused [redacted]' });
  });

  it('masks credentials it was not told about', () => {
    const { logger, parsed } = capture();
    logger.info({ header: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl' }, `vrm token ${'ab12'.repeat(16)} refused`);
    expect(parsed()[0]).toMatchObject({ header: 'Bearer [redacted]', msg: 'vrm token [redacted] refused' });
  });

  it('binds a child’s fields to every line it writes', () => {
    const { logger, parsed } = capture();
    const request = logger.child({ requestId: 'req-42' });
    request.info('one');
    request.child({ upstream: 'podero' }).warn('two');
    logger.info('three');
    expect(parsed().map((l) => [l.msg, l.requestId])).toEqual([
      ['one', 'req-42'],
      ['two', 'req-42'],
      ['three', undefined],
    ]);
  });
});
