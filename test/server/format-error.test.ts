import { GraphQLError } from 'graphql';
import { ErrorCode, GatewayError } from '../../src/errors';
import { formatError, variableFieldErrors } from '../../src/server/apollo';

describe('variableFieldErrors', () => {
  it('reads the input path of an invalid nested value', () => {
    expect(variableFieldErrors('Variable "$input" got invalid value "X" at "input.podero.role"; Value "X" does not exist in "PoderoRole" enum.')).toEqual([
      { path: ['input', 'podero', 'role'], message: 'Value "X" does not exist in "PoderoRole" enum.' },
    ]);
  });

  it('names a missing required input field in the path', () => {
    expect(variableFieldErrors('Variable "$input" got invalid value { firstName: "a" } at "input"; Field "email" of required type "EmailAddress!" was not provided.')).toEqual([
      { path: ['input', 'email'], message: 'Field "email" of required type "EmailAddress!" was not provided.' },
    ]);
  });

  it('names the variable when the whole value is wrong or missing', () => {
    expect(variableFieldErrors('Variable "$e" got invalid value "nope"; EmailAddress must look like name@example.com, but got: "nope"')?.[0]?.path).toEqual(['e']);
    expect(variableFieldErrors('Variable "$userId" of required type "ID!" was not provided.')?.[0]?.path).toEqual(['userId']);
  });

  it('leaves other messages alone', () => {
    expect(variableFieldErrors('Cannot query field "nope" on type "User".')).toBeUndefined();
  });
});

describe("formatError and Apollo's own request errors", () => {
  // What Apollo hands formatError: the formatted error (code defaulted to INTERNAL_SERVER_ERROR) and the raw one.
  const format = (error: GraphQLError) => formatError()({ ...error.toJSON(), extensions: { ...error.extensions, code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR' } }, error);

  it('gives the APQ errors Apollo raises without a code their meaning', () => {
    expect(format(new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } })).extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(format(new GraphQLError('Unsupported persisted query version', { extensions: { http: { status: 400 } } })).extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it('keeps the codes Apollo does set (PERSISTED_QUERY_NOT_SUPPORTED when APQ is off)', () => {
    for (const code of ['PERSISTED_QUERY_NOT_SUPPORTED', 'PERSISTED_QUERY_NOT_FOUND', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE']) {
      expect(format(new GraphQLError('whatever Apollo says', { extensions: { code } })).extensions).toEqual({ code });
    }
  });

  it('still hides a gateway bug that happens to use those words', () => {
    const bug = new GraphQLError('provided sha does not match query', { path: ['me'], originalError: new Error('provided sha does not match query') });
    expect(format(bug)).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});

describe('formatError: the configured secrets as a second guard', () => {
  // No pattern of the redactor catches this one (no digit, short, no credential name): only the configured list does.
  const secret = 'dev-podero-token';
  const format = formatError({ secrets: [secret] });

  it('masks a secret in the message and the field-error messages of a gateway error', () => {
    const error = new GatewayError(ErrorCode.BAD_USER_INPUT, `bad value ${secret}`, { fieldErrors: [{ path: ['input', 'name'], message: `is ${secret}` }] });
    const formatted = format({ message: error.message }, new GraphQLError(error.message, { originalError: error }));
    expect(JSON.stringify(formatted)).not.toContain(secret);
    expect(formatted.message).toBe('bad value [redacted]');
    expect(formatted.extensions?.fieldErrors).toEqual([{ path: ['input', 'name'], message: 'is [redacted]' }]);
  });

  it('masks a secret that graphql-js echoes from a variable, in the message and the field errors', () => {
    const message = `Variable "$n" got invalid value "${secret}"; Int cannot represent non-integer value: "${secret}"`;
    const formatted = format({ message, extensions: { code: 'BAD_USER_INPUT' } }, new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } }));
    expect(JSON.stringify(formatted)).not.toContain(secret);
    expect(formatted.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('never shows the log-only detail of a gateway error', () => {
    const error = new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, 'identity could not answer (it reported a server error); try again shortly.', { upstream: 'identity', detail: 'db-prod-01.internal:5432' });
    const formatted = format({ message: error.message }, new GraphQLError(error.message, { originalError: error }));
    expect(JSON.stringify(formatted)).not.toContain('db-prod-01');
    expect(formatted.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', upstream: 'identity' });
  });
});
