export {
  engramTools,
  type EngramToolFailure,
  type EngramTools,
  type EngramToolsOptions,
  type ForgetInput,
  type ForgetResult,
  type RecallInput,
  type RecallResult,
  type RecalledMemory,
  type RememberInput,
  type RememberResult,
} from './tools.js';
