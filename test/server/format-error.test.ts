import { variableFieldErrors } from '../../src/server/apollo';

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
