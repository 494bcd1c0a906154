/**
 * Checks answers against the OpenAPI 3.1 document an emulator serves, with ajv (JSON Schema draft
 * 2020-12, the dialect OpenAPI 3.1 uses). The emulators' documents promise exactly what is served, so
 * every object schema is closed before compiling (`unevaluatedProperties: false`, which sees through
 * `allOf`): a key the document does not describe is a problem, as is a missing or mistyped one.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isRecord, record, type JsonObject } from './json';

const DOC_ID = 'emulator-openapi';
const OPEN = '__open';
const COMBINATORS = ['anyOf', 'oneOf', 'allOf'] as const;

export interface OpenApi {
  /** The document as served. */
  document: JsonObject;
  /** What is wrong with `value` as `#/components/schemas/<name>` ([] when it fits). */
  schemaProblems(name: string, value: unknown): string[];
  /** What is wrong with `value` as the JSON body of `status` of an operation (path as the document writes it). */
  responseProblems(path: string, method: string, status: number, value: unknown): string[];
  expectSchema(name: string, value: unknown): void;
  expectResponse(path: string, method: string, status: number, value: unknown): void;
  /** Whether the operation documents a JSON body for `status`. */
  hasResponse(path: string, method: string, status: number): boolean;
  /** `GET /users/{id}` for every documented operation. */
  operations(): string[];
}

/**
 * A copy of `schema` with every object closed. `open` leaves the top level open: an `allOf` member must
 * accept the keys its siblings describe, and the `allOf` itself is closed instead.
 */
function close(schema: unknown, open = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => close(s));
  if (!isRecord(schema)) return schema;
  const out: JsonObject = { ...schema };
  if (typeof out.$ref === 'string') {
    if (open && out.$ref.startsWith('#/components/schemas/')) out.$ref = `${out.$ref}${OPEN}`;
    return out;
  }
  if (isRecord(out.properties)) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, close(v)]));
  if (out.items !== undefined) out.items = close(out.items);
  if (Array.isArray(out.prefixItems)) out.prefixItems = close(out.prefixItems);
  if (isRecord(out.additionalProperties)) out.additionalProperties = close(out.additionalProperties);
  for (const key of COMBINATORS) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((s) => close(s, key === 'allOf' || open));
  }
  const describesKeys = isRecord(out.properties) || Array.isArray(out.allOf);
  if (!open && describesKeys && out.additionalProperties === undefined && out.unevaluatedProperties === undefined) out.unevaluatedProperties = false;
  return out;
}

/** The document with its schemas closed, plus an open twin of each component for use inside `allOf`. */
function closedDocument(doc: JsonObject): JsonObject {
  const components = isRecord(doc.components) ? doc.components : {};
  const schemas = isRecord(components.schemas) ? components.schemas : {};
  const closedSchemas: JsonObject = {};
  for (const [name, schema] of Object.entries(schemas)) {
    closedSchemas[name] = close(schema);
    closedSchemas[`${name}${OPEN}`] = close(schema, true);
  }
  const walkContent = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walkContent);
    if (!isRecord(node)) return node;
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'schema' ? close(v) : walkContent(v)]));
  };
  return {
    $id: DOC_ID,
    paths: walkContent(doc.paths),
    components: { ...walkContent({ ...components, schemas: {} }) as JsonObject, schemas: closedSchemas },
  };
}

const pointer = (...parts: string[]): string => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

function describe(errors: ErrorObject[] | null | undefined, at: string): string[] {
  return (errors ?? []).map((e) => {
    const where = `${at}${e.instancePath}`;
    if (e.keyword === 'unevaluatedProperties' || e.keyword === 'additionalProperties') {
      const extra = (e.params as { unevaluatedProperty?: string; additionalProperty?: string });
      return `${where}.${extra.unevaluatedProperty ?? extra.additionalProperty ?? '?'} is not described`;
    }
    return `${where} ${e.message ?? e.keyword}`;
  });
}

/** Wraps a served OpenAPI document for checking answers against it. */
export function openApi(document: JsonObject): OpenApi {
  // The document's own OpenAPI keywords (`example`, `discriminator` …) are not JSON Schema: not strict.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The APIs send UTC instants with a `Z` and lower-case UUIDs; hold the answers to that.
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  ajv.addSchema(closedDocument(document));
  const compiled = new Map<string, ValidateFunction>();
  const validator = (ref: string): ValidateFunction => {
    let validate = compiled.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOC_ID}#/${ref}` });
      compiled.set(ref, validate);
    }
    return validate;
  };

  /** The response object of an operation's status, following a `$ref` to `components/responses`. */
  const response = (path: string, method: string, status: number): { ref: string; node: JsonObject } | undefined => {
    const operation = record(record(record(document.paths)[path] ?? {})[method.toLowerCase()] ?? {});
    const responses = isRecord(operation.responses) ? operation.responses : {};
    const found = responses[String(status)];
    if (!isRecord(found)) return undefined;
    if (typeof found.$ref === 'string') {
      const name = found.$ref.split('/').pop() ?? '';
      return { ref: pointer('components', 'responses', name), node: record(record(record(document.components).responses)[name]) };
    }
    return { ref: pointer('paths', path, method.toLowerCase(), 'responses', String(status)), node: found };
  };
  const jsonSchemaRef = (path: string, method: string, status: number): string | undefined => {
    const found = response(path, method, status);
    if (!found || !isRecord(found.node.content)) return undefined;
    const type = Object.keys(found.node.content).find((t) => t === 'application/json' || t.endsWith('+json'));
    return type === undefined ? undefined : `${found.ref}/${pointer('content', type, 'schema')}`;
  };

  const api: OpenApi = {
    document,
    schemaProblems(name, value) {
      const validate = validator(pointer('components', 'schemas', name));
      return validate(value) ? [] : describe(validate.errors, name);
    },
    responseProblems(path, method, status, value) {
      const ref = jsonSchemaRef(path, method, status);
      if (ref === undefined) return [`${method.toUpperCase()} ${path} documents no JSON body for ${status}`];
      const validate = validator(ref);
      return validate(value) ? [] : describe(validate.errors, `${method.toUpperCase()} ${path} ${status}`);
    },
    expectSchema(name, value) {
      expect(api.schemaProblems(name, value)).toEqual([]);
    },
    expectResponse(path, method, status, value) {
      expect(api.responseProblems(path, method, status, value)).toEqual([]);
    },
    hasResponse(path, method, status) {
      return jsonSchemaRef(path, method, status) !== undefined;
    },
    operations() {
      return Object.entries(record(document.paths)).flatMap(([path, item]) =>
        Object.keys(record(item))
          .filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k))
          .map((m) => `${m.toUpperCase()} ${path}`),
      );
    },
  };
  return api;
}

/** Fetches `/openapi.json` from an emulator's origin and wraps it. */
export async function loadOpenApi(origin: string): Promise<OpenApi> {
  const res = await fetch(`${origin}/openapi.json`);
  if (res.status !== 200) throw new Error(`expected the OpenAPI document at ${origin}/openapi.json, but got status ${res.status}`);
  return openApi(record(await res.json()));
}
