// A small typed client for the Stack Atlas API: fetch one technology, run a search.
//
// The types come from the API's own OpenAPI document, generated next to this file:
//
//   npx openapi-typescript http://127.0.0.1:8080/api-docs/openapi.json -o api.d.ts
//
// (In this repository, CI generates them from openapi/openapi.json into
// e2e/client/api.d.ts, and e2e/tsconfig.json's `rootDirs` makes `./api.js` below find
// them; `tsc --noEmit` then fails if the API's types change under this code.)
//
// Types are looked up by operation (path + method + status), not by schema component
// name, so they follow what each endpoint answers whatever the server calls its schemas.

import type { paths } from "./api.js";

/** The JSON body of `GET <path>` for status `S` (`application/json` answers). */
type JsonBody<P extends keyof paths, S extends number> = paths[P] extends {
  get: { responses: { [K in S]: { content: { "application/json": infer B } } } };
}
  ? B
  : never;

/** The query parameters of `GET <path>`. */
type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;

export type TechnologyDetail = JsonBody<"/v1/technologies/{id}", 200>;

/** The fields every technology has when no `fields` parameter trims the answer
 *  (the schema lists them all as optional, since `fields` may leave any out). */
type CoreField = "id" | "name" | "kind" | "summary" | "description" | "tags";
export type FullTechnology = TechnologyDetail & Required<Pick<TechnologyDetail, CoreField>>;

/** Narrows an untrimmed answer to the fields it is sure to have. */
export function isFull(t: TechnologyDetail): t is FullTechnology {
  return (
    t.id !== undefined &&
    t.name !== undefined &&
    t.kind !== undefined &&
    t.summary !== undefined &&
    t.description !== undefined &&
    t.tags !== undefined
  );
}
export type SearchPage = JsonBody<"/v1/search", 200>;
export type SearchHit = SearchPage["items"][number];
export type SearchQuery = Query<"/v1/search">;

/** The fields every hit has when no `fields` parameter trims the answer (the schema
 *  lists them as optional, since `fields` may leave any out). */
type CoreHitField = "id" | "name" | "kind" | "summary";
export type FullHit = SearchHit & Required<Pick<SearchHit, CoreHitField>>;

/** Narrows an untrimmed hit to the fields it is sure to have. */
export function isFullHit(hit: SearchHit): hit is FullHit {
  return (
    hit.id !== undefined &&
    hit.name !== undefined &&
    hit.kind !== undefined &&
    hit.summary !== undefined
  );
}

export type RelatedPage = JsonBody<"/v1/technologies/{id}/related", 200>;
/** One related entry (always whole: id, name, kind, summary). */
export type RelatedEntry = NonNullable<RelatedPage["outgoing"][string]>[number];
export type Kind = NonNullable<TechnologyDetail["kind"]>;

/** An RFC 9457 problem the API answered with (`application/problem+json`). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string | undefined,
  ) {
    super(`${status} ${title}${detail ? `: ${detail}` : ""}`);
    this.name = "ApiProblem";
  }
}

export class StackAtlas {
  private readonly base: string;

  /** `baseUrl`: where the API is served, such as `http://127.0.0.1:8080`. */
  constructor(baseUrl: string, private readonly fetchImpl: typeof fetch = fetch) {
    this.base = baseUrl.replace(/\/+$/, "");
  }

  /** One technology by id or alias (an alias answers 308, which fetch follows). */
  async technology(id: string): Promise<FullTechnology> {
    const t = await this.get<TechnologyDetail>(`/v1/technologies/${encodeURIComponent(id)}`);
    if (!isFull(t)) throw new Error(`the answer for ${id} lacks core fields`);
    return t;
  }

  /** The entries related to `id`, grouped by relation, both ways. */
  async related(id: string): Promise<RelatedPage> {
    return this.get<RelatedPage>(`/v1/technologies/${encodeURIComponent(id)}/related`);
  }

  /** A page of ranked hits for `q`, optionally filtered by kind or tag. */
  async search(query: SearchQuery): Promise<SearchPage> {
    const params = new URLSearchParams({ q: query.q });
    if (query.page !== undefined) params.set("page", String(query.page));
    if (query.per_page !== undefined) params.set("per_page", String(query.per_page));
    for (const kind of query.kind ?? []) params.append("kind", kind);
    for (const tag of query.tag ?? []) params.append("tag", tag);
    return this.get<SearchPage>(`/v1/search?${params}`);
  }

  private async get<T>(pathAndQuery: string): Promise<T> {
    const response = await this.fetchImpl(this.base + pathAndQuery, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      const problem: Partial<Record<"type" | "title" | "detail", string>> = await response
        .json()
        .catch(() => ({}));
      throw new ApiProblem(
        response.status,
        problem.type ?? "about:blank",
        problem.title ?? response.statusText,
        problem.detail,
      );
    }
    return (await response.json()) as T;
  }
}

/** One line about a technology, the way a UI might show it. */
export function describe(t: FullTechnology): string {
  const summary: string = t.summary;
  const since = t.first_released !== undefined ? `, since ${t.first_released}` : "";
  const license = t.license !== undefined ? ` (${t.license})` : "";
  return `${t.name} [${kindLabel(t.kind)}${since}]${license}: ${summary}`;
}

/** A human label for a kind: `web_framework` → `web framework`. */
export function kindLabel(kind: Kind): string {
  return kind.replaceAll("_", " ");
}

/** One line about a search hit. */
export function describeHit(hit: FullHit, rank: number): string {
  const summary: string = hit.summary;
  return `${rank}. ${hit.name} (${kindLabel(hit.kind)}) — ${summary}`;
}

/** One line about a related entry. */
export function describeRelated(entry: RelatedEntry): string {
  const summary: string = entry.summary;
  return `${entry.name} (${kindLabel(entry.kind)}): ${summary}`;
}

/** Example: the detail of Node.js, then the best hits for a misspelled query. */
export async function demo(baseUrl: string, log: (line: string) => void = console.log) {
  const api = new StackAtlas(baseUrl);

  const node = await api.technology("nodejs");
  log(describe(node));
  const tags: string[] = node.tags;
  log(`tags: ${tags.join(", ")}`);

  const page = await api.search({ q: "pyhton", per_page: 5, kind: ["language"] });
  const total: number = page.total;
  log(`${total} hit(s) for "pyhton":`);
  page.items.filter(isFullHit).forEach((hit, i) => log(describeHit(hit, i + 1)));

  const related = await api.related("nodejs");
  for (const entry of related.outgoing["runs_on"] ?? []) log(`runs on ${describeRelated(entry)}`);

  try {
    await api.technology("no-such-technology");
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 404) log(`404 as expected: ${error.title}`);
    else throw error;
  }
}
