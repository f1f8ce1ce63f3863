import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// GitHub's published OpenAPI description (from @octokit/openapi) is the contract the fake server must
// honour: every JSON body it sends is checked against the schema GitHub documents for that operation
// and status, so the fake cannot drift from the real API without a test noticing.

type Json = Record<string, unknown>;
interface Operation {
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Json }> }>;
}

/** No body allowed (204) or a JSON schema to check; `undefined` when GitHub documents no such response. */
type ResponseRule = { kind: 'empty' } | { kind: 'json'; validate: ValidateFunction };

/** A description registered with ajv under its own id, so its `#/components/...` references resolve within it. */
interface Description {
  id: string;
  paths: Record<string, Record<string, Operation>>;
  responseComponents: Record<string, Operation['responses'][string]>;
}

/**
 * github.com's description first; GitHub Enterprise Cloud's for operations only it documents (an
 * organization's SAML SSO credential authorizations), loaded the first time one is asked for.
 */
const DESCRIPTIONS = [
  { id: 'github', file: '@octokit/openapi/generated/api.github.com.json' },
  { id: 'github-ghec', file: '@octokit/openapi/generated/ghec.json' },
] as const;

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly loaded: (Description | undefined)[] = [];
  private readonly cache = new Map<string, ResponseRule | undefined>();

  private constructor() {
    // strict off: the description carries OpenAPI-only keywords (example, discriminator, x-github…)
    // that are annotations, not constraints.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    // Formats ajv-formats does not know; GitHub uses them as annotations on integers and strings.
    this.ajv.addFormat('timestamp', true);
    this.description(0);
  }

  private static instance?: OpenApiContract;

  /** Parsing the 13 MB description takes a moment: once per test file. */
  static load(): OpenApiContract {
    return (OpenApiContract.instance ??= new OpenApiContract());
  }

  hasOperation(method: string, route: string): boolean {
    return Boolean(this.operation(method, route));
  }

  /** Problems with a response body GitHub could send for `method route` with `status`; empty when it conforms. */
  checkResponse(method: string, route: string, status: number, body: unknown): string[] {
    const rule = this.responseRule(method, route, status);
    if (!rule) return [`GitHub documents no ${status} response for ${method} ${route}`];
    if (rule.kind === 'empty') return body === undefined ? [] : [`${method} ${route} ${status} must have no body`];
    return rule.validate(body) ? [] : describeErrors(rule.validate);
  }

  /** Problems with a JSON request body for `method route`; empty when it conforms. */
  checkRequest(method: string, route: string, body: unknown): string[] {
    const key = `request ${method} ${route}`;
    let rule = this.cache.get(key);
    if (!this.cache.has(key)) {
      const found = this.operation(method, route);
      const schema = found?.op.requestBody?.content?.['application/json']?.schema;
      rule = schema ? { kind: 'json', validate: this.ajv.compile(toJsonSchema(schema, found!.in.id)) } : undefined;
      this.cache.set(key, rule);
    }
    if (!rule || rule.kind !== 'json') return [];
    return rule.validate(body) ? [] : describeErrors(rule.validate);
  }

  private responseRule(method: string, route: string, status: number): ResponseRule | undefined {
    const key = `${method} ${route} ${status}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const rule = this.compileResponse(method, route, status);
    this.cache.set(key, rule);
    return rule;
  }

  private compileResponse(method: string, route: string, status: number): ResponseRule | undefined {
    const found = this.operation(method, route);
    if (!found) return undefined;
    const { op, in: spec } = found;
    let response = op.responses[String(status)];
    if (response?.$ref) response = spec.responseComponents[response.$ref.split('/').pop()!];
    const schema = response?.content?.['application/json']?.schema;
    if (schema) return { kind: 'json', validate: this.ajv.compile(toJsonSchema(schema, spec.id)) };
    if (status >= 400) {
      // Errors GitHub sends on any operation (401, 403/429 rate limits, 404, 409) are not always listed
      // per operation, or are listed without a body; their documented shape is `basic-error`.
      return { kind: 'json', validate: this.ajv.compile({ $ref: `${spec.id}#/components/schemas/basic-error` }) };
    }
    return response ? { kind: 'empty' } : undefined;
  }

  /** The operation and the description that documents it: github.com's, else GitHub Enterprise Cloud's. */
  private operation(method: string, route: string): { op: Operation; in: Description } | undefined {
    for (let i = 0; i < DESCRIPTIONS.length; i++) {
      const spec = this.description(i);
      const op = spec.paths[route]?.[method.toLowerCase()];
      if (op) return { op, in: spec };
    }
    return undefined;
  }

  private description(i: number): Description {
    const known = this.loaded[i];
    if (known) return known;
    const { id, file } = DESCRIPTIONS[i]!;
    const spec = JSON.parse(readFileSync(require.resolve(file), 'utf8')) as { paths: Description['paths']; components: Json };
    this.ajv.addSchema({ $id: id, components: toJsonSchema({ schemas: spec.components.schemas }, id) });
    const d: Description = { id, paths: spec.paths, responseComponents: spec.components.responses as Description['responseComponents'] };
    this.loaded[i] = d;
    return d;
  }
}

/**
 * OpenAPI 3.0 → JSON Schema for ajv: `nullable: true` becomes a `null` alternative (with or without a
 * `type`), and local `#/components/...` references point into the description registered as `specId`.
 */
function toJsonSchema<T>(node: T, specId: string): T {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, specId)) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${specId}${v}` : toJsonSchema(v, specId);
  if (typeof out.nullable !== 'boolean') return out as T;
  const nullable = out.nullable;
  delete out.nullable;
  if (!nullable) return out as T;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out as T;
  }
  return { anyOf: [out, { type: 'null' }] } as T;
}

function describeErrors(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '(body)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}
