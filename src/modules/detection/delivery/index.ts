/** Real-time alert delivery: live SSE stream and alert email (docs/detection.md, Delivery). */
export { adminRecipients, type AlertRecipient } from './admin-recipients.js';
export { alertMail, meetsSeverity, type AlertMailer } from './alert-mailer.js';
export {
  createAlertDeliveryCapability, type AlertDeliveryCapability, type AlertDeliveryDeps, type AlertDeliveryOptions,
} from './capability.js';
export { parseTypeFilter } from './events-route.js';
export type { LiveEvent } from './live-event.js';
export { LIVE_CHANNEL, type LiveHub } from './live-hub.js';
export { DEFAULT_LIVE_STREAM_LIMITS, type LiveStreamLimits } from './stream-registry.js';
