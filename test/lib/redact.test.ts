import { redact } from '../../src/lib/redact';

const VRM_TOKEN = '0123456789abcdef'.repeat(4);
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
const PAT = 'devtimesheettoken-0000000000000000000000000000000000000001';

describe('redact', () => {
  describe('masks each kind of credential', () => {
    it.each([
      // Once only the logger masked `Token …`; the describers left it.
      ['a VRM token after its scheme word', `Token ${VRM_TOKEN} rejected`, 'Token [redacted] rejected'],
      ['a token-like value after a lower-case scheme word', 'the token abc123def456 was refused', 'the token [redacted] was refused'],
      ['a Bearer credential', 'Bearer abc.def.ghi; expired', 'Bearer [redacted]; expired'],
      ['a short Bearer credential', 'Bearer abc123 refused', 'Bearer [redacted] refused'],
      ['a Basic credential', 'Basic dXNlcjpwYXNz refused', 'Basic [redacted] refused'],
      ['a credential after chained scheme words', 'Token Bearer abc123 rejected', 'Token Bearer [redacted] rejected'],
      ['an X-Authorization header value', 'sent X-Authorization: Token abc', 'sent X-Authorization: Token [redacted]'],
      ['an X-FreckleToken header value', 'X-FreckleToken: s3cr3t-value', 'X-FreckleToken: [redacted]'],
      ['an Authorization header value', 'authorization=Bearer xyz', 'authorization=Bearer [redacted]'],
      ['a query parameter', 'GET /users?access_token=abc123&page=2', 'GET /users?access_token=[redacted]&page=2'],
      ['a quoted JSON field', '{"password":"hunter2","user":"a"}', '{"password":"[redacted]","user":"a"}'],
      ['a JWT anywhere', `session ${JWT} ended`, 'session [redacted] ended'],
      ['three long base64url parts', 'abcdefgh12.ijklmnop34.qrstuvwx56', '[redacted]'],
      // Once only VRM's and timesheet's describers masked long tokens.
      ['a bare 64-hex VRM token', `for ${VRM_TOKEN}.`, 'for [redacted].'],
      ['a personal access token', `use ${PAT} instead`, 'use [redacted] instead'],
      ['a mixed-case opaque token', 'key AbCdEfGhIjKlMnOpQrStUvWxYz here', 'key [redacted] here'],
    ])('%s', (_, text, expected) => {
      expect(redact(text)).toBe(expected);
    });
  });

  describe('leaves what is not a credential', () => {
    it.each([
      ['prose about tokens', 'the token is invalid', 'the token is invalid'],
      ['a long word after Token', 'Token verification failed', 'Token verification failed'],
      ['a UUID (request and person ids)', 'request 3fa85f64-5717-4562-b3fc-2c963f66afa6 done', 'request 3fa85f64-5717-4562-b3fc-2c963f66afa6 done'],
      ['a long lower-case code', 'subscribed_to_other_platforms', 'subscribed_to_other_platforms'],
      ['a short domain name', 'see api.example.com for more', 'see api.example.com for more'],
      ['a name that only ends like a field', 'status: ok', 'status: ok'],
    ])('%s', (_, text, expected) => {
      expect(redact(text)).toBe(expected);
    });
  });

  it('masks configured secrets, the longer first, ignoring ones too short to be secrets', () => {
    expect(redact('a dev-podero-token and dev-podero-token-2 and abc', ['dev-podero-token', 'dev-podero-token-2', 'abc'])).toBe('a [redacted] and [redacted] and abc');
  });

  it('masks URLs only when asked', () => {
    const text = 'failed at https://db.internal:5432/users?x=1 now';
    expect(redact(text, [], { urls: true })).toBe('failed at [url] now');
    expect(redact(text)).toBe(text);
  });

  it('turns control characters into spaces and trims', () => {
    expect(redact('  line one\nline\ttwo\u0000 ')).toBe('line one line two');
  });

  it('bounds the result', () => {
    expect(redact('word '.repeat(100), [], { maxLength: 20 })).toBe(`${'word '.repeat(4)}…`);
    expect(redact('x'.repeat(10_000)).length).toBe(4096 + 1);
  });

  describe('takes time linear in the length, whatever the text', () => {
    const n = 200_000;
    it.each([
      ['one long run of letters', 'a'.repeat(n)],
      ['one long run of digits', '1'.repeat(n)],
      ['dashes between letters', 'a-'.repeat(n / 2)],
      ['dots between short parts', 'abc.'.repeat(n / 4)],
      ['repeated scheme words', 'Bearer '.repeat(n / 7)],
      ['repeated names without values', 'token:'.repeat(n / 6)],
      ['repeated JWT starts', 'eyJ'.repeat(n / 3)],
      ['a scheme followed by spaces', `Token${' '.repeat(n)}`],
      ['a URL-like run without its slashes', `http${'a'.repeat(n)}`],
    ])('%s', (_, text) => {
      const started = performance.now();
      redact(text, ['secret-one', 'secret-two'], { urls: true });
      // Quadratic work on 200 000 characters takes minutes; linear work takes milliseconds.
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });
});
