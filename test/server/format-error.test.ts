import { GraphQLError } from 'graphql';
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
