// Public API of @troupe/ai-sdk: any Vercel AI SDK language model as a Troupe model.
export type { Pricing } from '@troupe/providers';
export type { AiSdkModelOptions } from './ai-sdk-model.js';
export { aiSdkModel } from './ai-sdk-model.js';
