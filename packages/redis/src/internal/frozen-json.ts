// Input checks come from @troupe/core/backend (the same ones the in-memory backends use); this
// is the read side of the JSON that `jsonText` wrote.

/** Deeply frozen parse of stored JSON text: results cannot be changed by callers. */
export function parseFrozen(text: string): unknown {
  return deepFreeze(JSON.parse(text));
}

function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
