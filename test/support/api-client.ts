import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  /** Sent as is (malformed JSON, wrong types); `body` is JSON-encoded otherwise. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** The headers the API itself sends: a response may carry one only where the document declares it. */
const API_HEADERS = [
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
  'retry-after',
  'www-authenticate',
  'idempotent-replayed',
  'location',
];

/**
 * Validates every response against the OpenAPI document the server itself serves: the status must
 * be documented for the route, the body must match its schema (problem+json for errors), every
 * header declared required must be there and match its schema, and none of the API's own headers
 * may be sent where the document does not declare it.
 */

export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly templates: { template: string; pattern: RegExp }[];
  validated = 0;
  /** Every operation a response was checked for, as `get /generations/{id}`. */
  readonly operations = new Set<string>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly doc: any) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc, 'doc');
    this.templates = Object.keys(doc.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  check(method: string, path: string, res: ApiResponse) {
    const pathname = new URL(path, 'http://x').pathname;
    // A literal segment wins over a parameter (`/failed-messages/retry` over `/failed-messages/{id}`),
    // as the router matches them.
    const params = (t: string) => t.split('{').length;
    const match = this.templates
      .filter((t) => t.pattern.test(pathname) && this.doc.paths[t.template][method.toLowerCase()])
      .sort((a, b) => params(a.template) - params(b.template) || a.template.localeCompare(b.template))[0];
    const op = match && this.doc.paths[match.template][method.toLowerCase()];
    if (!op) {
      // Not an API route: only the 404 problem is acceptable.
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      return;
    }
    this.operations.add(`${method.toLowerCase()} ${match!.template}`);
    const response = op.responses[String(res.status)];
    expect(
      response,
      `${method} ${path} answered ${res.status}, which the document does not list`,
    ).toBeDefined();
    this.checkHeaders(`${method} ${path} ${res.status}`, response.headers ?? {}, res.headers);
    const types = Object.keys(response.content ?? {});
    if (types.length === 0) return;
    const type = types[0]!;
    expect(res.headers.get('content-type') ?? '').toContain(type);
    const ref = `doc#/paths/${pointer(match!.template)}/${method.toLowerCase()}/responses/${res.status}/content/${pointer(type)}/schema`;
    // Compiled once per response schema: ajv caches by schema object, and a fresh `{ $ref }` each
    // time would compile again on every response.
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    const ok = validate(res.body);
    expect(ok, `${method} ${path} ${res.status}: ${this.ajv.errorsText(validate.errors)}`).toBe(true);
    this.validated++;
  }

  private checkHeaders(what: string, declared: Record<string, any>, sent: Headers) {
    const names = new Set(Object.keys(declared).map((n) => n.toLowerCase()));
    for (const name of API_HEADERS) {
      if (sent.has(name))
        expect(names.has(name), `${what} sent ${name}, which the document does not declare`).toBe(true);
    }
    for (const [name, spec] of Object.entries(declared)) {
      const header = spec.$ref ? this.doc.components.headers[String(spec.$ref).split('/').at(-1)!] : spec;
      const value = sent.get(name);
      if (value === null) {
        expect(header.required, `${what} lacks ${name}, which the document says is always sent`).not.toBe(
          true,
        );
        continue;
      }
      // A header is text on the wire; an integer schema describes its digits.
      const numeric = header.schema.type === 'integer' || header.schema.type === 'number';
      const parsed = numeric && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      const validate = this.ajv.compile(header.schema);
      expect(
        validate(parsed),
        `${what} ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`,
      ).toBe(true);
    }
  }
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly validator?: OpenApiValidator,
  ) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | Uint8Array | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const out = { status: res.status, headers: res.headers, body: parsed as any, text };
    this.validator?.check(method, path, out);
    return out;
  }

  get = (path: string, options?: CallOptions) => this.call('GET', path, options);
  post = (path: string, options?: CallOptions) => this.call('POST', path, options);
  put = (path: string, options?: CallOptions) => this.call('PUT', path, options);
  patch = (path: string, options?: CallOptions) => this.call('PATCH', path, options);
  delete = (path: string, options?: CallOptions) => this.call('DELETE', path, options);
}

export function expectProblem(res: ApiResponse, status: number, fields: string[] = []) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
  for (const f of fields) expect(res.body.errors?.map((e: { field: string }) => e.field)).toContain(f);
}
