/**
 * The custom scalars: `DateTime` (ISO 8601 UTC), `Date` (`YYYY-MM-DD`) and `EmailAddress`. Serialisation
 * accepts the domain values (`Date` objects, strings); parsing rejects anything malformed with a message
 * that says what was expected.
 */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function bad(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function literalString(ast: ValueNode, name: string): string {
  if (ast.kind !== Kind.STRING) throw bad(`${name} must be a string, but got a ${ast.kind} literal`);
  return ast.value;
}

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string') throw bad(`DateTime must be an ISO 8601 string, but got: ${typeof value}`);
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(d.getTime())) {
    throw bad(`DateTime must be ISO 8601 with a time zone (2024-01-15T10:30:00Z), but got: ${JSON.stringify(value)}`);
  }
  return d;
}

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw bad(`Date must be a calendar date YYYY-MM-DD, but got: ${JSON.stringify(value)}`);
  }
  return value;
}

function parseEmail(value: unknown): string {
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value)) {
    throw bad(`EmailAddress must look like name@example.com, but got: ${JSON.stringify(value)}`);
  }
  return value;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in UTC, written as ISO 8601 (`2024-01-15T10:30:00Z`).',
  serialize(value) {
    const d = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
    if (!d || Number.isNaN(d.getTime())) throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}`);
    return d.toISOString().replace('.000Z', 'Z');
  },
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(literalString(ast, 'DateTime')),
});

export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date without time zone, `YYYY-MM-DD`.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (typeof value === 'string' && DATE.test(value)) return value;
    throw new GraphQLError(`Date cannot represent ${JSON.stringify(value)}`);
  },
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(literalString(ast, 'Date')),
});

export const EmailAddressScalar = new GraphQLScalarType<string, string>({
  name: 'EmailAddress',
  description: 'An email address. Input is checked for a `local@domain.tld` shape; comparison is case-insensitive.',
  serialize(value) {
    if (typeof value !== 'string') throw new GraphQLError(`EmailAddress cannot represent ${JSON.stringify(value)}`);
    return value;
  },
  parseValue: parseEmail,
  parseLiteral: (ast) => parseEmail(literalString(ast, 'EmailAddress')),
});
