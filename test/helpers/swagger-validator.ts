// Validates IMDS response bodies against the official Swagger 2.0 files vendored in test/fixtures/imds-swagger
// (ajv, #/definitions refs resolved, x- keys dropped), plus access to the Swagger examples and key-path sets.
//
// API (for every endpoint's tests):
//   validateAgainstSwagger(version, path, status, body, { method?, closed? }): string[]
//     version  a folder under imds-swagger ("2018-10-01", …, "2023-07-01"; see swaggerVersions())
//     path     the Swagger path, with or without the /metadata base: "/instance" or "/metadata/instance"
//     status   the response status (number or "default"); falls back to the "default" response
//     body     the parsed body or the raw JSON text
//     closed   true: objects may hold only the properties the schema lists (additionalProperties:false is
//              added wherever a schema lists properties) — Swagger leaves objects open, which would accept any
//              extra key; use closed mode to find keys the Swagger version does not know.
//     returns  [] when valid, otherwise one readable string per error ("/compute/vmId must be string").
//     throws   when the version/path/status has no schema (a mistake in the test, not in the body).
//   swaggerExample(version, name, status = 200): the example body (name: "GetInstanceMetadata", any case).
//   keyPaths(value): every key path of a JSON value ("compute.plan.name", "compute.publicKeys[].path").
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';

export const SWAGGER_ROOT = fileURLToPath(new URL('../fixtures/imds-swagger', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface SwaggerDocument {
  readonly basePath?: string;
  readonly paths: Record<string, Record<string, { responses: Record<string, { schema?: JsonObject }> }>>;
  readonly definitions: Record<string, JsonObject>;
}

/** The Swagger versions stored locally, ascending. */
export function swaggerVersions(): string[] {
  return readdirSync(SWAGGER_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{4}-\d{2}-\d{2}$/.test(d.name))
    .map((d) => d.name)
    .sort();
}

const documents = new Map<string, SwaggerDocument>();

export function loadSwagger(version: string): SwaggerDocument {
  let doc = documents.get(version);
  if (!doc) {
    doc = JSON.parse(readFileSync(join(SWAGGER_ROOT, version, 'imds.json'), 'utf8')) as SwaggerDocument;
    documents.set(version, doc);
  }
  return doc;
}

/** Swagger 2.0 schema -> JSON Schema (draft-07 as ajv reads it): drops x- keys and format/example annotations. */
function convert(node: Json, closed: boolean): Json {
  if (Array.isArray(node)) return node.map((item) => convert(item, closed));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || key === 'format' || key === 'example' || key === 'discriminator') continue;
    // `properties` and `definitions` map names to schemas: convert the schemas, keep every name.
    if ((key === 'properties' || key === 'definitions') && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, convert(schema, closed)]));
    } else {
      out[key] = convert(value, closed);
    }
  }
  if (closed && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function swaggerPath(doc: SwaggerDocument, path: string): string {
  const base = doc.basePath ?? '/metadata';
  return path.startsWith(`${base}/`) ? path.slice(base.length) : path;
}

const validators = new Map<string, ValidateFunction>();

function validatorFor(version: string, path: string, status: number | string, method: string, closed: boolean): ValidateFunction {
  const doc = loadSwagger(version);
  const key = `${version} ${method} ${swaggerPath(doc, path)} ${status} ${closed}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const operation = doc.paths[swaggerPath(doc, path)]?.[method.toLowerCase()];
  if (!operation) throw new Error(`swagger ${version}: no ${method.toUpperCase()} ${path}`);
  const response = operation.responses[String(status)] ?? operation.responses.default;
  if (!response?.schema) throw new Error(`swagger ${version}: ${method.toUpperCase()} ${path} has no schema for status ${status}`);
  const schema = {
    definitions: convert(doc.definitions as unknown as Json, closed),
    allOf: [convert(response.schema, closed)],
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  validators.set(key, validate);
  return validate;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  const extra = error.keyword === 'additionalProperties' ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})` : '';
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/** Validates `body` against the response schema of `path` + `status` in Swagger `version`; returns the errors. */
export function validateAgainstSwagger(
  version: string,
  path: string,
  status: number | string,
  body: unknown,
  options: { method?: string; closed?: boolean } = {},
): string[] {
  const validate = validatorFor(version, path, status, options.method ?? 'get', options.closed ?? false);
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? (JSON.parse(body.toString()) as unknown) : body;
  if (validate(data)) return [];
  return [...new Set((validate.errors ?? []).map(describeError))];
}

/** The body of a Swagger example (`examples/<name>.json`, name matched case-insensitively) for `status`. */
export function swaggerExample(version: string, name: string, status: number | string = 200): unknown {
  const dir = join(SWAGGER_ROOT, version, 'examples');
  const file = readdirSync(dir).find((f) => f.toLowerCase() === `${name.toLowerCase()}.json`);
  if (!file) throw new Error(`swagger ${version}: no example ${name}`);
  const example = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { responses: Record<string, { body?: unknown }> };
  const response = example.responses[String(status)];
  if (!response) throw new Error(`swagger ${version}: example ${name} has no ${status} response`);
  return response.body;
}

/** Every key path in a JSON value: objects as `a.b`, array elements merged as `a[]`. */
export function keyPaths(value: unknown, prefix = '', out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) keyPaths(item, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      keyPaths(child, path, out);
    }
  }
  return out;
}
