import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  type AgentOptions,
  type AnyTool,
  defineAgent,
  isTroupeError,
  type Model,
  type ModelResponse,
} from '@troupe/core';
import { agentEntries, moduleUrl, type TeamSpec } from '../team/load-module.js';
import {
  EXCHANGES_FILE,
  HEADER_FILE,
  type RecordedExchange,
  type RecordingHeader,
} from './recording.js';

/** Where recorded exchanges go, in the order they complete. */
export interface ExchangeSink {
  record(exchange: RecordedExchange): void;
}

const errorInfo = (error: unknown) => ({
  code: isTroupeError(error) ? error.code : 'ERR_INTERNAL',
  message: error instanceof Error ? error.message : String(error),
});

/**
 * Wraps `agent`'s model so each exchange (the answer, or the failure) and its wall-clock latency
 * go to `sink`. The wrapped model behaves exactly as the model does.
 *
 * @example
 * ```ts
 * const recorded = recordingModel(model, 'geographer', recorder);
 * ```
 */
export function recordingModel(model: Model, agent: string, sink: ExchangeSink): Model {
  return {
    ...model,
    id: model.id,
    async generate(request): Promise<ModelResponse> {
      const started = performance.now();
      try {
        const response = await model.generate(request);
        const { text, toolCalls, usage, stopReason } = response;
        sink.record({
          kind: 'model',
          agent,
          latencyMs: Math.round(performance.now() - started),
          response: { text, toolCalls, usage, stopReason },
        });
        return response;
      } catch (error) {
        sink.record({
          kind: 'model',
          agent,
          latencyMs: Math.round(performance.now() - started),
          error: errorInfo(error),
        });
        throw error;
      }
    },
  };
}

/**
 * Wraps `agent`'s tool so each call's result (or error) and duration go to `sink`: the
 * tool-result recorder. The tool itself runs unchanged.
 *
 * @example
 * ```ts
 * const tools = definition.tools.map((t) => recordingTool(t, 'geographer', recorder));
 * ```
 */
export function recordingTool(tool: AnyTool, agent: string, sink: ExchangeSink): AnyTool {
  return {
    ...tool,
    async run(input, ctx) {
      const started = performance.now();
      try {
        const result = await tool.run(input, ctx);
        sink.record({
          kind: 'tool',
          agent,
          tool: tool.name,
          durationMs: Math.round(performance.now() - started),
          result,
        });
        return result;
      } catch (error) {
        sink.record({
          kind: 'tool',
          agent,
          tool: tool.name,
          durationMs: Math.round(performance.now() - started),
          error: errorInfo(error).message,
        });
        throw error;
      }
    },
  };
}

/**
 * Records a live run into a directory: `exchanges.jsonl` (every model exchange and tool result,
 * per agent, as they complete) and, on {@link Recorder.close}, `recording.json`. `troupe sim
 * --replay DIR` replays it on the simulated clock.
 *
 * @example
 * ```ts
 * const recorder = await createRecorder('rec', { module: './team.mjs' });
 * const recorded = recorder.wrap(spec); // spawn these agents
 * // ... run the team ...
 * await recorder.close({ task, to: 'planner' });
 * ```
 */
export interface Recorder extends ExchangeSink {
  readonly dir: string;
  /** The module's agents with recording models and tools (same names, roles and options). */
  wrap<T extends TeamSpec>(spec: T): T;
  /** Flushes the exchanges and writes the header: the task the run was given and to whom. */
  close(run: { task: string; to?: string | undefined }): Promise<void>;
}

export async function createRecorder(dir: string, meta: { module: string }): Promise<Recorder> {
  await mkdir(dir, { recursive: true });
  const stream: WriteStream = createWriteStream(join(dir, EXCHANGES_FILE));
  let count = 0;
  const recorder: Recorder = {
    dir,
    record(exchange) {
      count++;
      stream.write(`${JSON.stringify(exchange)}\n`);
    },
    wrap(spec) {
      return {
        ...spec,
        agents: agentEntries(spec).map(({ definition, name, role }) => {
          const { kind: _kind, ...own } = definition;
          const options = Object.fromEntries(
            Object.entries(own).filter(([, v]) => v !== undefined),
          ) as unknown as AgentOptions;
          const wrapped = defineAgent({
            ...options,
            model: recordingModel(definition.model, name, recorder),
            tools: definition.tools.map((t) => recordingTool(t, name, recorder)),
          });
          return role === undefined
            ? { definition: wrapped, name }
            : { definition: wrapped, name, role };
        }),
      };
    },
    async close(run) {
      stream.end();
      await finished(stream);
      const header: RecordingHeader = {
        version: 1,
        module: moduleUrl(meta.module),
        task: run.task,
        ...(run.to === undefined ? {} : { to: run.to }),
        exchanges: count,
      };
      await writeFile(join(dir, HEADER_FILE), `${JSON.stringify(header, null, 2)}\n`);
    },
  };
  return recorder;
}
