import type { SimEvent } from '../events.js';
import { LogHasher } from '../hash.js';
import { logLine } from '../log-line.js';
import { TeamAnalyzer } from '../report/team-analyzer.js';

/**
 * One team's event log as it is written: each event becomes a JSONL line that is hashed,
 * folded into the analysis, counted, and kept when the run collects its events.
 */
export class TeamLog {
  readonly hasher = new LogHasher();
  readonly analyzer: TeamAnalyzer;
  readonly lines: string[] = [];
  count = 0;
  readonly #collect: boolean;

  constructor(options: { collect: boolean; timelines: boolean }) {
    this.#collect = options.collect;
    this.analyzer = new TeamAnalyzer({ timelines: options.timelines });
  }

  /** Writes one event to the log (bound: pass it around as a callback). */
  readonly emit = (event: SimEvent): void => {
    const line = logLine(event);
    this.hasher.add(line);
    this.analyzer.add(event);
    this.count++;
    if (this.#collect) this.lines.push(line);
  };
}
