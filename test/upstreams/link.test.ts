import { linkQuery, parseLinkHeader } from '../../src/upstreams/link';

describe('parseLinkHeader', () => {
  it('reads every rel of a header with several links', () => {
    const header =
      '<https://api.ev.energy/v2/users?page_size=25&page_before=user01A>; rel="previous", <https://api.ev.energy/v2/users?page_size=25&page_after=user01B>; rel="next"';
    expect(parseLinkHeader(header)).toEqual({
      previous: 'https://api.ev.energy/v2/users?page_size=25&page_before=user01A',
      next: 'https://api.ev.energy/v2/users?page_size=25&page_after=user01B',
    });
  });

  it('returns no links for a missing or unparseable header', () => {
    expect(parseLinkHeader(undefined)).toEqual({});
    expect(parseLinkHeader('garbage')).toEqual({});
  });

  it('accepts unquoted and multi-valued rels', () => {
    expect(parseLinkHeader('<http://x/a?page=3>; rel=last, <http://x/a?page=1>; rel="first prev"')).toEqual({
      last: 'http://x/a?page=3',
      first: 'http://x/a?page=1',
      prev: 'http://x/a?page=1',
    });
  });
});

describe('linkQuery', () => {
  it('gives the query parameters of a link target', () => {
    expect(linkQuery('http://x/v2/users?page=2&per_page=100')).toEqual({ page: '2', per_page: '100' });
  });
});
