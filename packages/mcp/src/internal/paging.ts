/** Every page of a paginated MCP list, bounded: a server that keeps returning cursors stops here. */
export const MAX_PAGES = 100;

/** Collects a paginated list (tools, resources, prompts) page by page, at most {@link MAX_PAGES}. */
export async function listAll<T>(
  page: (
    cursor: string | undefined,
  ) => Promise<{ items: readonly T[]; nextCursor?: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, nextCursor } = await page(cursor);
    all.push(...items);
    if (nextCursor === undefined || nextCursor === cursor) break;
    cursor = nextCursor;
  }
  return all;
}
