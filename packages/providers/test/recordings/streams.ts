// Chunk sequences of real servers' streams, written for these tests from the public wire
// formats and the servers' documented shapes (field names, event order, framing), each with
// the answer a provider must read out of it.

export interface Recording {
  readonly name: string;
  readonly protocol: 'openai' | 'anthropic' | 'openai-responses';
  /** The body exactly as the server sends it. */
  readonly body: string;
  readonly expected: {
    readonly text: string;
    readonly reasoning?: string;
    readonly toolCalls: readonly { id: string; name: string; arguments: unknown }[];
    readonly stopReason: string;
  };
}

const data = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
const chunk = (delta: object, finish: string | null = null, extra: object = {}): string =>
  data({
    id: 'chatcmpl-7x',
    object: 'chat.completion.chunk',
    created: 1_733_000_000,
    model: 'm',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  });
const event = (type: string, payload: object): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

export const recordings: readonly Recording[] = [
  {
    name: 'OpenAI text with multi-byte characters and a usage chunk',
    protocol: 'openai',
    body:
      chunk({ role: 'assistant', content: '', refusal: null }) +
      chunk({ content: 'Grüße ' }) +
      chunk({ content: 'from 東京 ' }) +
      chunk({ content: '🌸🗼' }) +
      chunk({}, 'stop') +
      data({
        id: 'chatcmpl-7x',
        object: 'chat.completion.chunk',
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
      }) +
      'data: [DONE]\n\n',
    expected: { text: 'Grüße from 東京 🌸🗼', toolCalls: [], stopReason: 'end' },
  },
  {
    name: 'OpenAI parallel tool calls by index',
    protocol: 'openai',
    body:
      chunk({ role: 'assistant', content: null }) +
      chunk({
        tool_calls: [
          {
            index: 0,
            id: 'call_P1',
            type: 'function',
            function: { name: 'weather', arguments: '' },
          },
        ],
      }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: ' "Zürich"}' } }] }) +
      chunk({
        tool_calls: [
          {
            index: 1,
            id: 'call_P2',
            type: 'function',
            function: { name: 'weather', arguments: '' },
          },
        ],
      }) +
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{"city": "Kyōto"}' } }] }) +
      chunk({}, 'tool_calls') +
      'data: [DONE]\n\n',
    expected: {
      text: '',
      toolCalls: [
        { id: 'call_P1', name: 'weather', arguments: { city: 'Zürich' } },
        { id: 'call_P2', name: 'weather', arguments: { city: 'Kyōto' } },
      ],
      stopReason: 'tool_calls',
    },
  },
  {
    name: 'Ollama: whole calls, all at index 0',
    protocol: 'openai',
    body:
      chunk({
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            id: 'call_o1',
            index: 0,
            type: 'function',
            function: { name: 'add', arguments: '{"a":1,"b":2}' },
          },
        ],
      }) +
      chunk({
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            id: 'call_o2',
            index: 0,
            type: 'function',
            function: { name: 'add', arguments: '{"a":3,"b":4}' },
          },
        ],
      }) +
      chunk({ role: 'assistant', content: '' }, 'tool_calls') +
      'data: [DONE]\n\n',
    expected: {
      text: '',
      toolCalls: [
        { id: 'call_o1', name: 'add', arguments: { a: 1, b: 2 } },
        { id: 'call_o2', name: 'add', arguments: { a: 3, b: 4 } },
      ],
      stopReason: 'tool_calls',
    },
  },
  {
    name: 'DeepSeek thinking mode: reasoning_content, then a tool call',
    protocol: 'openai',
    body:
      chunk({ role: 'assistant', content: null, reasoning_content: '' }) +
      chunk({ content: null, reasoning_content: 'Need the ' }) +
      chunk({ content: null, reasoning_content: 'time — call it.' }) +
      chunk({
        content: null,
        reasoning_content: null,
        tool_calls: [
          {
            index: 0,
            id: 'call_00_ds',
            type: 'function',
            function: { name: 'now', arguments: '' },
          },
        ],
      }) +
      chunk({ content: null, tool_calls: [{ index: 0, function: { arguments: '{}' } }] }) +
      chunk({ content: '' }, 'tool_calls', {
        usage: { prompt_tokens: 20, completion_tokens: 11, prompt_cache_hit_tokens: 16 },
      }) +
      'data: [DONE]\n\n',
    expected: {
      text: '',
      reasoning: 'Need the time — call it.',
      toolCalls: [{ id: 'call_00_ds', name: 'now', arguments: {} }],
      stopReason: 'tool_calls',
    },
  },
  {
    name: 'Qwen: continuation deltas repeat an empty id',
    protocol: 'openai',
    body:
      chunk({
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            index: 0,
            id: 'call_qw9',
            type: 'function',
            function: { name: 'search', arguments: '' },
          },
        ],
      }) +
      chunk({
        tool_calls: [{ index: 0, id: '', type: 'function', function: { arguments: '{"q": "' } }],
      }) +
      chunk({
        tool_calls: [
          { index: 0, id: '', type: 'function', function: { name: '', arguments: 'café"}' } },
        ],
      }) +
      chunk({}, 'tool_calls') +
      'data: [DONE]\n\n',
    expected: {
      text: '',
      toolCalls: [{ id: 'call_qw9', name: 'search', arguments: { q: 'café' } }],
      stopReason: 'tool_calls',
    },
  },
  {
    name: 'Mistral Magistral: content as thinking and text parts',
    protocol: 'openai',
    body:
      chunk({
        role: 'assistant',
        content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'Bonjour means ' }] }],
      }) +
      chunk({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'hello.' }] }] }) +
      chunk({ content: [{ type: 'text', text: 'Hello, ' }] }) +
      chunk({ content: 'monde ✓' }) +
      chunk({ content: '' }, 'stop') +
      'data: [DONE]\n\n',
    expected: {
      text: 'Hello, monde ✓',
      reasoning: 'Bonjour means hello.',
      toolCalls: [],
      stopReason: 'end',
    },
  },
  {
    name: "Gemini's OpenAI endpoint: a whole call without an index, with a thought signature",
    protocol: 'openai',
    body:
      chunk(
        {
          role: 'assistant',
          tool_calls: [
            {
              function: { arguments: '{"path":"a.ts"}', name: 'read' },
              id: 'function-call-1',
              type: 'function',
              extra_content: { google: { thought_signature: 'Cs4BAb/sig==' } },
            },
          ],
        },
        'tool_calls',
      ) + 'data: [DONE]\n\n',
    expected: {
      text: '',
      toolCalls: [{ id: 'function-call-1', name: 'read', arguments: { path: 'a.ts' } }],
      stopReason: 'tool_calls',
    },
  },
  {
    name: 'OpenAI-compatible with a BOM, CRLF lines and comments',
    protocol: 'openai',
    body: `\uFEFF${[
      ': ping',
      '',
      chunk({
        role: 'assistant',
        tool_calls: [
          {
            index: 0,
            id: 'call_bom',
            type: 'function',
            function: { name: 'echo', arguments: '{"s":"ä"}' },
          },
        ],
      }).trim(),
      '',
      chunk({}, 'tool_calls').trim(),
      '',
      'data: [DONE]',
      '',
      '',
    ].join('\r\n')}`,
    expected: {
      text: '',
      toolCalls: [{ id: 'call_bom', name: 'echo', arguments: { s: 'ä' } }],
      stopReason: 'tool_calls',
    },
  },
  {
    name: 'Anthropic: thinking with a signature, text and a tool_use',
    protocol: 'anthropic',
    body:
      event('message_start', {
        message: {
          id: 'msg_01',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-6',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: 30,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 100,
            output_tokens: 1,
          },
        },
      }) +
      event('ping', {}) +
      event('content_block_start', {
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }) +
      event('content_block_delta', {
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'Look it up — ' },
      }) +
      event('content_block_delta', {
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'in Ελληνικά.' },
      }) +
      event('content_block_delta', {
        index: 0,
        delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' },
      }) +
      event('content_block_stop', { index: 0 }) +
      event('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }) +
      event('content_block_delta', {
        index: 1,
        delta: { type: 'text_delta', text: 'Checking… ' },
      }) +
      event('content_block_stop', { index: 1 }) +
      event('content_block_start', {
        index: 2,
        content_block: { type: 'tool_use', id: 'toolu_01', name: 'lookup', input: {} },
      }) +
      event('content_block_delta', {
        index: 2,
        delta: { type: 'input_json_delta', partial_json: '' },
      }) +
      event('content_block_delta', {
        index: 2,
        delta: { type: 'input_json_delta', partial_json: '{"word": "καλη' },
      }) +
      event('content_block_delta', {
        index: 2,
        delta: { type: 'input_json_delta', partial_json: 'μέρα"}' },
      }) +
      event('content_block_stop', { index: 2 }) +
      event('message_delta', {
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { output_tokens: 42 },
      }) +
      event('message_stop', {}),
    expected: {
      text: 'Checking… ',
      reasoning: 'Look it up — in Ελληνικά.',
      toolCalls: [{ id: 'toolu_01', name: 'lookup', arguments: { word: 'καλημέρα' } }],
      stopReason: 'tool_calls',
    },
  },
  {
    name: 'Responses API: reasoning summary, text and a function call',
    protocol: 'openai-responses',
    body:
      event('response.created', {
        sequence_number: 0,
        response: { id: 'resp_1', status: 'in_progress', output: [] },
      }) +
      event('response.output_item.added', {
        output_index: 0,
        item: { type: 'reasoning', id: 'rs_1', summary: [] },
      }) +
      event('response.reasoning_summary_text.delta', {
        output_index: 0,
        summary_index: 0,
        delta: 'Plan: ',
      }) +
      event('response.reasoning_summary_text.delta', {
        output_index: 0,
        summary_index: 0,
        delta: 'call it.',
      }) +
      event('response.output_item.added', {
        output_index: 1,
        item: { type: 'message', id: 'msg_1', role: 'assistant', content: [] },
      }) +
      event('response.output_text.delta', { output_index: 1, content_index: 0, delta: 'Sure — ' }) +
      event('response.output_item.added', {
        output_index: 2,
        item: {
          type: 'function_call',
          id: 'fc_1',
          call_id: 'call_r1',
          name: 'find',
          arguments: '',
        },
      }) +
      event('response.function_call_arguments.delta', {
        output_index: 2,
        item_id: 'fc_1',
        delta: '{"q":"ñ"}',
      }) +
      event('response.completed', {
        response: {
          id: 'resp_1',
          status: 'completed',
          output: [
            {
              type: 'reasoning',
              id: 'rs_1',
              summary: [{ type: 'summary_text', text: 'Plan: call it.' }],
              encrypted_content: 'gAAA',
            },
            {
              type: 'message',
              id: 'msg_1',
              role: 'assistant',
              content: [{ type: 'output_text', text: 'Sure — ', annotations: [] }],
            },
            {
              type: 'function_call',
              id: 'fc_1',
              call_id: 'call_r1',
              name: 'find',
              arguments: '{"q":"ñ"}',
            },
          ],
          usage: {
            input_tokens: 50,
            input_tokens_details: { cached_tokens: 32 },
            output_tokens: 20,
          },
        },
      }),
    expected: {
      text: 'Sure — ',
      reasoning: 'Plan: call it.',
      toolCalls: [{ id: 'call_r1', name: 'find', arguments: { q: 'ñ' } }],
      stopReason: 'tool_calls',
    },
  },
];
