export { createSecurityEventBus, type EventBusOptions, type SecurityEventBus } from './bus.js';
export type {
  EventHandler, EventOutcome, SecurityEvent, SecurityEventInput, SubscriberProblem,
} from './types.js';
