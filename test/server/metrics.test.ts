/**
 * The operation metrics beside the upstream ones on /metrics: duration per operation name, errors by
 * code, upstream calls per operation, and registry call durations; operation names a client invents are
 * bounded so they cannot grow the metric without limit.
 */
import { openRegistry } from '../../src/registry';
import { operationLabel, recordRegistryCall } from '../../src/server/metrics';
import { metricsRegistry } from '../../src/upstreams/metrics';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

describe('operation metrics', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('records each operation by name with its upstream calls, and errors by code', async () => {
    const person = t.population.people[0]!;
    await t.query('query MetricsProbe($e: EmailAddress!) { userByEmail(email: $e) { firstName role } }', { token: t.adminToken, variables: { e: person.email } });
    await t.query('query MetricsRefused { users(first: 1) { totalCount } }', { token: null });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/usergraph_operation_duration_seconds_count\{operation="MetricsProbe",type="query"\} 1/);
    expect(text).toMatch(/usergraph_operation_upstream_calls_count\{upstream="identity"\} [1-9]/);
    expect(text).toMatch(/usergraph_operation_errors_total\{code="UNAUTHENTICATED"\} [1-9]/);
  });

  it('bounds operation names in shape and number', () => {
    expect(operationLabel(undefined)).toBe('anonymous');
    expect(operationLabel('not a name; DROP')).toBe('other');
    expect(operationLabel('x'.repeat(65))).toBe('other');
    for (let i = 0; i < 300; i++) operationLabel(`Invented${i}`);
    expect(operationLabel('InventedAfterTheCap')).toBe('other');
    expect(operationLabel('Invented0')).toBe('Invented0');
  });

  it('times registry calls by method and outcome', async () => {
    const registry = await openRegistry({ sqlitePath: ':memory:', onCall: recordRegistryCall });
    await registry.listPeople({ first: 1 });
    await registry.close();
    await registry.listPeople({ first: 1 }).catch(() => undefined);
    const text = await metricsRegistry().metrics();
    expect(text).toMatch(/usergraph_registry_call_duration_seconds_count\{method="listPeople",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/usergraph_registry_call_duration_seconds_count\{method="listPeople",outcome="failed"\} [1-9]/);
  });
});
