// The store's background threads (writer, checkpoints) run below the event loop's priority.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value of the store's threads (0 normal, 19 lowest). */
const BACKGROUND_NICE = 10;

/**
 * Where the OS allows it (Linux: a thread has its own id and nice value), lowers the calling
 * thread's CPU priority: when cores are scarce, actors run first and writes wait, not the other
 * way round. Elsewhere, or when not allowed, the thread keeps the process's priority.
 */
export function lowerThreadPriority(): void {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, BACKGROUND_NICE);
  } catch {
    // Not Linux, or not allowed.
  }
}
