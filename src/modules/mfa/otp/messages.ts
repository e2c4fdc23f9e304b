/**
 * The texts that carry delivered codes. Short, with the expiry and a warning, and nothing else
 * personal (no name, no account id): SMS and email are readable by whoever holds the device.
 */
import { assertEmailAddress, assertPhoneNumber, type Mailer, type SmsSender } from '../../../lib/notify/index.js';
import type { OtpTransport } from './delivered-otp.js';

export function emailTransport(mailer: Mailer): OtpTransport {
  return {
    validate: assertEmailAddress,
    deliver: (to, code, minutes) => mailer.send({
      to,
      subject: 'Your Q2 sign-in code',
      text: `Your Q2 sign-in code is ${code}\n\nIt expires in ${minutes} minutes and works once. ` +
        'Q2 staff will never ask you for it. If you did not try to sign in, change your password now.\n',
    }),
  };
}

export function smsTransport(sms: SmsSender): OtpTransport {
  return {
    validate: assertPhoneNumber,
    deliver: (to, code, minutes) => sms.send({
      to,
      purpose: 'mfa',
      text: `Q2 sign-in code: ${code} (valid ${minutes} min). Never share it.`,
    }),
  };
}
