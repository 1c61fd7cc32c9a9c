// Binary search over a sorted array, for the places that keep offsets or times in order.

/** The first position in `sorted` (ascending by `of`) whose value is at least `value`;
 *  `sorted.length` when there is none. */
export function firstAtLeast<T>(
  sorted: readonly T[],
  value: number,
  of: (item: T) => number = (item) => item as number,
): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (of(sorted[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
