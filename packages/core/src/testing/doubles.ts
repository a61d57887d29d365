// Test doubles that do not need a test runner: safe to import from simulation code.
export { SimulatedClock } from '../clock.js';
export type {
  RecordedRequest,
  ScriptCall,
  ScriptedModel,
  ScriptedModelOptions,
  ScriptedStep,
  ScriptedToolCall,
} from './scripted-model.js';
export { scriptedModel } from './scripted-model.js';
