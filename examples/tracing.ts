// Tracing: a team's spans to the console with the OpenTelemetry SDK
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  createBus,
  createRateLimiter,
  createSharedState,
  createTeam,
  defineAgent,
  systemClock,
} from '@troupe/core';
import { scriptedModel } from '@troupe/core/testing';

export async function tracing(exporter: SpanExporter = new ConsoleSpanExporter()): Promise<string> {
  // Register the SDK first: a team traces when a provider is registered as it is created.
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);

  const clock = systemClock;
  const team = createTeam({
    id: 'sprint',
    clock,
    state: createSharedState({ clock }),
    limiter: createRateLimiter({ clock, rules: [] }),
    bus: createBus({ clock }),
  });
  // The lead asks the coder; the coder claims the file, then answers.
  const lead = defineAgent({
    name: 'lead',
    instructions: 'Plan the sprint. Ask the coder for estimates.',
    model: scriptedModel({
      id: 'openai:gpt-4o-mini',
      steps: [
        {
          toolCalls: [{ name: 'ask_agent', arguments: { agent: 'coder', task: 'Estimate a.ts' } }],
        },
        { text: 'Plan: refactor a.ts (3 days).' },
      ],
    }),
  });
  const coder = defineAgent({
    name: 'coder',
    instructions: 'Estimate the work you are asked about.',
    model: scriptedModel({
      id: 'anthropic:claude-sonnet-4',
      steps: [
        { toolCalls: [{ name: 'claim_region', arguments: { resource: 'a.ts' } }] },
        { text: '3 days' },
      ],
    }),
  });
  await team.spawn(lead, { name: 'lead' });
  await team.spawn(coder, { name: 'coder' });

  // One trace: invoke_agent lead > turn > execute_tool ask_agent > invoke_agent coder > ...
  const result = await team.send('lead', 'Plan the sprint');
  await team.close();
  await provider.shutdown();
  trace.disable();
  return result.text;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await tracing());
