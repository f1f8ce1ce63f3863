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

const SPEC_ID = 'github';

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly paths: Record<string, Record<string, Operation>>;
  private readonly responseComponents: Record<string, Operation['responses'][string]>;
  private readonly cache = new Map<string, ResponseRule | undefined>();

  private constructor(spec: { paths: OpenApiContract['paths']; components: Json }) {
    this.paths = spec.paths;
    this.responseComponents = spec.components.responses as OpenApiContract['responseComponents'];
    // strict off: the description carries OpenAPI-only keywords (example, discriminator, x-github…)
    // that are annotations, not constraints.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    // Formats ajv-formats does not know; GitHub uses them as annotations on integers and strings.
    this.ajv.addFormat('timestamp', true);
    this.ajv.addSchema({ $id: SPEC_ID, components: toJsonSchema({ schemas: spec.components.schemas }) });
  }

  private static instance?: OpenApiContract;

  /** Parsing the 13 MB description takes a moment: once per test file. */
  static load(): OpenApiContract {
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    return (OpenApiContract.instance ??= new OpenApiContract(JSON.parse(readFileSync(file, 'utf8'))));
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
      const schema = this.operation(method, route)?.requestBody?.content?.['application/json']?.schema;
      rule = schema ? { kind: 'json', validate: this.ajv.compile(toJsonSchema(schema)) } : undefined;
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
    const op = this.operation(method, route);
    if (!op) return undefined;
    let response = op.responses[String(status)];
    if (response?.$ref) response = this.responseComponents[response.$ref.split('/').pop()!];
    const schema = response?.content?.['application/json']?.schema;
    if (schema) return { kind: 'json', validate: this.ajv.compile(toJsonSchema(schema)) };
    if (status >= 400) {
      // Errors GitHub sends on any operation (401, 403/429 rate limits, 404, 409) are not always listed
      // per operation, or are listed without a body; their documented shape is `basic-error`.
      return { kind: 'json', validate: this.ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/basic-error` }) };
    }
    return response ? { kind: 'empty' } : undefined;
  }

  private operation(method: string, route: string): Operation | undefined {
    return this.paths[route]?.[method.toLowerCase()];
  }
}

/**
 * OpenAPI 3.0 → JSON Schema for ajv: `nullable: true` becomes a `null` alternative (with or without a
 * `type`), and local `#/components/...` references point into the description registered as `github`.
 */
function toJsonSchema<T>(node: T): T {
  if (Array.isArray(node)) return node.map(toJsonSchema) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SPEC_ID}${v}` : toJsonSchema(v);
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
