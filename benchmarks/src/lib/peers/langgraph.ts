/**
 * Peer: LangGraph.js (`@langchain/langgraph`). A fake chat model (a small `BaseChatModel`
 * subclass whose `bindTools` returns itself) answers at once with a tool call four times, then
 * the final text; the agent is the prebuilt ReAct agent (`createReactAgent`, a StateGraph with
 * a model node and a `ToolNode`) around a `tool()` with a zod schema. No checkpointer and no
 * LangSmith tracing (the tracing env vars are unset), so the peer pays only for the graph.
 */
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { BaseChatModel, type BindToolsInput } from '@langchain/core/language_models/chat_models';
import { AIMessage, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
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

class InstantChatModel extends BaseChatModel {
  readonly #tally: Tally;

  constructor(tally: Tally) {
    super({});
    this.#tally = tally;
  }

  _llmType(): string {
    return 'instant';
  }

  // The scripted answers ignore the tool list, so binding is the model itself.
  override bindTools(_tools: BindToolsInput[]): Runnable<BaseLanguageModelInput, AIMessageChunk> {
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    let toolResults = 0;
    for (const message of messages) if (message.type === 'tool') toolResults++;
    const decision = await answer(this.#tally, toolResults);
    const message =
      decision.kind === 'tool'
        ? new AIMessage({
            content: '',
            tool_calls: [
              { id: decision.callId, name: TOOL_NAME, args: decision.args, type: 'tool_call' },
            ],
          })
        : new AIMessage({ content: decision.text });
    return {
      generations: [{ text: typeof message.content === 'string' ? message.content : '', message }],
    };
  }
}

export function createLangGraph(): Contestant {
  const tally = new Tally();
  const add = tool((input) => addTool(tally, input), {
    name: TOOL_NAME,
    description: TOOL_DESCRIPTION,
    schema: addInput,
  });
  const agent = createReactAgent({
    llm: new InstantChatModel(tally),
    tools: [add],
    prompt: SYSTEM_PROMPT,
  });
  return {
    name: '@langchain/langgraph',
    tally,
    async run() {
      const state = await agent.invoke({ messages: [{ role: 'user', content: USER_INPUT }] });
      const last = state.messages.at(-1);
      return typeof last?.content === 'string' ? last.content : '';
    },
  };
}
