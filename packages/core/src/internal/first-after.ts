/**
 * Index of the first entry with `seq > afterSeq` in a list sorted by `seq` (binary search): where
 * a read after `afterSeq` starts.
 */
export function firstAfter(list: readonly { readonly seq: number }[], afterSeq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
