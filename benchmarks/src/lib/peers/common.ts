/**
 * The scenario every contestant in the agent-step suite runs, and the bookkeeping they share.
 *
 * One run = 5 model calls and 4 tool calls. The model answers at once: while fewer than
 * {@link TOOL_CALLS_PER_RUN} tool results are in the conversation it asks for
 * `add({ a: <results so far>, b: 1 })`, then it answers with a final text. The answer is a
 * function of the request (how many tool results it holds), so concurrent runs on one model
 * never share state.
 *
 * Every contestant calls the same async model ({@link answer}) and the same async tool body
 * ({@link addTool}) through its own framework's adapter: only the orchestration differs.
 *
 * A step is one model call together with the tool calls it asks for (an agent turn), as in the
 * sim suite, whose steps are model calls: 5 steps per run.
 */
import { z } from 'zod';

export const MODEL_CALLS_PER_RUN = 5;
export const TOOL_CALLS_PER_RUN = 4;
/** A step is a model call and the tool calls it asks for (as the sim suite counts them). */
export const STEPS_PER_RUN = MODEL_CALLS_PER_RUN;

/** Where a gated run parks: the model call made after this many tool results. */
export const GATE_AT_TOOL_RESULTS = 2;

export const USER_INPUT = 'Add the numbers up, please.';
export const FINAL_TEXT = 'The total is 4.';
export const SYSTEM_PROMPT = 'You add numbers with the add tool.';
export const TOOL_NAME = 'add';
export const TOOL_DESCRIPTION = 'Adds two integers.';

/** The trivial zod-typed tool input every contestant validates. */
export const addInput = z.object({ a: z.number().int(), b: z.number().int() });
export type AddInput = z.infer<typeof addInput>;

/** What the model decides for a request holding `toolResults` tool results. */
export type Decision =
  | { readonly kind: 'tool'; readonly callId: string; readonly args: AddInput }
  | { readonly kind: 'final'; readonly text: string };

// Precomputed so the model's own cost is the same (near zero) for every contestant.
const decisions: readonly Decision[] = [
  ...Array.from(
    { length: TOOL_CALLS_PER_RUN },
    (_, i): Decision => ({
      kind: 'tool',
      callId: `call_${i}`,
      args: { a: i, b: 1 },
    }),
  ),
  { kind: 'final', text: FINAL_TEXT },
];

/** The scripted decision after `toolResults` tool results. */
export function decide(toolResults: number): Decision {
  return decisions[Math.min(toolResults, TOOL_CALLS_PER_RUN)] as Decision;
}

/**
 * Counts model and tool calls, and optionally parks model calls at
 * {@link GATE_AT_TOOL_RESULTS} on a promise the suite controls (to hold runs in flight).
 */
export class Tally {
  modelCalls = 0;
  toolCalls = 0;
  /** Runs currently parked at the gate. */
  parked = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  /** From now on, model calls at the gate point wait until {@link openGate}. */
  closeGate(): void {
    this.#gate = new Promise<void>((resolve) => {
      this.#open = resolve;
    });
  }

  /** Releases every parked run and stops gating. */
  openGate(): void {
    this.#open?.();
    this.#gate = undefined;
    this.#open = undefined;
  }

  /**
   * Called by a model at each call: counts it, and returns a promise to await when the call
   * must park, `undefined` otherwise (so the ungated path costs no extra await).
   */
  model(toolResults: number): Promise<void> | undefined {
    this.modelCalls++;
    return this.park(toolResults);
  }

  /** The gate alone (for a model that counts its calls elsewhere). */
  park(toolResults: number): Promise<void> | undefined {
    if (this.#gate === undefined || toolResults !== GATE_AT_TOOL_RESULTS) return undefined;
    this.parked++;
    return this.#gate.then(() => {
      this.parked--;
    });
  }

  reset(): void {
    this.modelCalls = 0;
    this.toolCalls = 0;
  }
}

/**
 * The model every contestant calls, behind its framework's adapter: async, answering at once
 * (or parking at the gate while the heap is measured) with the scripted decision.
 */
export async function answer(tally: Tally, toolResults: number): Promise<Decision> {
  const parked = tally.model(toolResults);
  if (parked) await parked;
  return decide(toolResults);
}

/** The tool body every contestant runs, behind its framework's tool wrapper: async. */
export async function addTool(tally: Tally, input: AddInput): Promise<string> {
  tally.toolCalls++;
  return String(input.a + input.b);
}

/** Runs that can be in flight at once, prepared ahead (Troupe: one agent per lane). */
export interface Lanes {
  run(lane: number): Promise<string>;
  close(): Promise<void>;
}

/** A contestant: one configured agent that can run the scenario any number of times. */
export interface Contestant {
  readonly name: string;
  readonly tally: Tally;
  /** One run of the scenario; resolves with the final text. */
  run(): Promise<string>;
  /**
   * Prepares `count` runs that can be in flight at once, for the heap measurement. Without it,
   * `run()` is called `count` times concurrently.
   */
  lanes?(count: number): Promise<Lanes>;
  /** Releases anything the contestant holds (teams, agents). */
  close?(): Promise<void>;
}
