// Adding named items (env vars, volumes, mounts, secrets) without ever
// duplicating a name or replacing what the user wrote.

/**
 * The list with each item appended unless `clashes` finds it already there;
 * a missing list is created only when something is added.
 */
export function addMissing<T extends { name: string }>(
  list: T[] | undefined,
  items: readonly T[],
  clashes: (item: T, existing: T) => boolean = (item, existing) => item.name === existing.name,
): { list: T[] | undefined; added: string[] } {
  const out = [...(list ?? [])];
  const added: string[] = [];
  for (const item of items) {
    if (out.some((existing) => clashes(item, existing))) continue;
    out.push(item);
    added.push(item.name);
  }
  return { list: added.length > 0 ? out : list, added };
}
