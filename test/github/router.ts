// The fake's routing: each route is named by its OpenAPI path template, which is also the key the
// contract uses to find the schemas for that operation.

export interface FakeRequest {
  method: string;
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The token from `Authorization: token X` or `Bearer X`. */
  token?: string;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  route: string;
  handle(req: FakeRequest): FakeReply | Promise<FakeReply>;
}

/** Thrown by handlers to answer with GitHub's error shape. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errorBody = (status: number, message: string) => ({
  message,
  documentation_url: 'https://docs.github.com/rest',
  status: String(status),
});

export function errorReply(status: number, message: string, headers: Record<string, string> = {}): FakeReply {
  return { status, body: errorBody(status, message), headers };
}

interface Compiled extends Route {
  pattern: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(...routes: Route[]): void {
    for (const r of routes) {
      const names: string[] = [];
      const source = r.route.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      this.routes.push({ ...r, names, pattern: new RegExp(`^${source}$`) });
    }
    // A literal segment wins over a parameter (`secrets/public-key` before `secrets/{secret_name}`).
    this.routes.sort((a, b) => a.names.length - b.names.length);
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(path);
      if (m) return { route: r, params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
    }
    return undefined;
  }
}
