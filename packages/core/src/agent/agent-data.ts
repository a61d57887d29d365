import type { ContextWindow } from '../context/context-window.js';
import { createRng } from '../ids.js';
import type { ChatMessage, ToolSpec } from '../model.js';
import type { ContextUpdate } from '../tools/context-update.js';
import type { Role, ToolSet } from '../tools/tool-set.js';
import { AgentHistory, type LoadedHistory } from './agent-history.js';
import { agentSettings } from './agent-settings.js';
import type { AgentDefinition } from './define-agent.js';
import type { AgentEnv, AgentSpec } from './env.js';
import { Inbox } from './inbox.js';
import type { WhenBusy } from './machine.js';
import { addTotals, newUsage, type UsageCounter } from './usage.js';

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** A stored session, as resume and reactivation load it into a fresh agent. */
export interface StoredAgentSession {
  readonly history: readonly ChatMessage[];
  /** Messages of `history` already persisted; later ones are saved with the next turn. */
  readonly stored: number;
  readonly context: Readonly<Record<string, unknown>>;
  readonly usage: { readonly [K in keyof UsageCounter]: number };
}

/**
 * What an agent is and holds, apart from how it runs (agent-runtime.ts): its identity and
 * settings, history, context, usage, and the mailbox messages it accepted.
 */
export class AgentData {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly role: Role | undefined;
  readonly tools: ToolSet;
  readonly limiterKeys: readonly string[];
  readonly whenBusy: WhenBusy;
  readonly leaseTimeoutMs: number;
  /** Every message of every run, append-only (with a store, the oldest are trimmed). */
  readonly history: ChatMessage[];
  /** The agent's context, changed by tools' updates (and the mailbox cursor). */
  context: Readonly<Record<string, unknown>> = EMPTY;
  /** Totals over the agent's life (all runs). */
  readonly usage: UsageCounter = newUsage();
  restarts = 0;
  readonly env: AgentEnv;
  readonly specs: readonly ToolSpec[];
  readonly random: () => number;
  /** What the model sees of `history` (context policy, view, compaction). */
  readonly contextWindow: ContextWindow;
  /** History, what the store holds of it, derived states (agent-history.ts). */
  protected readonly record: AgentHistory;
  /** Mails for the next run, and mails for the running conversation's next model call. */
  protected readonly inbox: Inbox;
  /** Runs started. */
  protected runCount = 0;

  constructor(spec: AgentSpec, env: AgentEnv) {
    this.name = spec.name;
    this.definition = spec.definition;
    this.role = spec.role;
    this.tools = spec.tools;
    this.limiterKeys = spec.limiterKeys;
    const settings = agentSettings(spec);
    this.whenBusy = settings.whenBusy;
    this.leaseTimeoutMs = settings.leaseTimeoutMs;
    this.specs = settings.specs;
    this.contextWindow = settings.contextWindow;
    this.env = env;
    this.inbox = new Inbox(spec.name);
    this.random = createRng(`lease:${spec.name}`).next;
    this.record = new AgentHistory(spec.definition.derive);
    this.history = this.record.messages;
  }

  /** Number of runs started. */
  get runs(): number {
    return this.runCount;
  }

  /** Last mailbox seq handled: taken into history by a run, or by `wait_messages`. */
  get cursor(): number {
    return this.inbox.cursor(this.context);
  }

  /**
   * Starts the mailbox cursor over at `seq`: the mailbox topic restarted (a new in-memory bus
   * for a resumed session), so the seqs in its history no longer refer to it.
   */
  rebaseCursor(seq: number): void {
    this.inbox.rebase(seq);
    const key = this.inbox.toolCursorKey;
    if (this.context[key] !== undefined)
      this.context = this.env.applyUpdates(this.context, [{ op: 'delete', key }]);
  }

  /** The derived states, current with the history (folds in only messages not seen yet). */
  derivedValues(): Record<string, unknown> {
    return this.record.derivedValues();
  }

  /** Applies context updates (tools). */
  update(updates: readonly ContextUpdate[]): void {
    this.context = this.env.applyUpdates(this.context, updates);
  }

  /** Loads a stored session's history, context and usage into this (fresh) agent. */
  protected load(session: StoredAgentSession): LoadedHistory {
    const loaded = this.record.load(session.history, session.stored);
    this.runCount = loaded.runs;
    this.context = session.context;
    addTotals(this.usage, session.usage);
    this.inbox.restore(loaded.cursor, this.context);
    this.contextWindow.restore(this.history);
    return loaded;
  }
}
