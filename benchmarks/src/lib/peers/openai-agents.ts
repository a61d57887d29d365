/**
 * Peer: OpenAI Agents JS (`@openai/agents`). A custom `Model` answers at once (a function call
 * four times, then the final text), the tool is a `tool()` with a zod schema, and each run is
 * `run(agent, input)`. Tracing is disabled so the peer is not charged for span export.
 */
import {
  Agent,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  run,
  type StreamEvent,
  setTracingDisabled,
  tool,
  Usage,
} from '@openai/agents';
import {
  addInput,
  addTool,
  answer,
  type Contestant,
  SYSTEM_PROMPT,
  Tally,
  TOOL_DESCRIPTION,
  TOOL_NAME,
  USER_INPUT,
} from './common.js';

function countToolResults(input: string | AgentInputItem[]): number {
  if (typeof input === 'string') return 0;
  let n = 0;
  for (const item of input) if (item.type === 'function_call_result') n++;
  return n;
}

class InstantModel implements Model {
  readonly #tally: Tally;

  constructor(tally: Tally) {
    this.#tally = tally;
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const toolResults = countToolResults(request.input);
    const decision = await answer(this.#tally, toolResults);
    const usage = new Usage({ requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    if (decision.kind === 'tool') {
      return {
        usage,
        output: [
          {
            type: 'function_call',
            callId: decision.callId,
            name: TOOL_NAME,
            status: 'completed',
            arguments: JSON.stringify(decision.args),
          },
        ],
      };
    }
    return {
      usage,
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: decision.text }],
        },
      ],
    };
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const response = await this.getResponse(request);
    yield {
      type: 'response_done',
      response: { id: 'instant', usage: { ...response.usage }, output: response.output },
    } as StreamEvent;
  }
}

export function createOpenAIAgents(): Contestant {
  setTracingDisabled(true);
  const tally = new Tally();
  const add = tool({
    name: TOOL_NAME,
    description: TOOL_DESCRIPTION,
    parameters: addInput,
    execute: (input) => addTool(tally, input),
  });
  const agent = new Agent({
    name: 'adder',
    instructions: SYSTEM_PROMPT,
    model: new InstantModel(tally),
    tools: [add],
  });
  return {
    name: '@openai/agents',
    tally,
    async run() {
      const result = await run(agent, USER_INPUT);
      return String(result.finalOutput);
    },
  };
}
