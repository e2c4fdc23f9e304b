import { describe, expect, it } from 'vitest';
import { fourEyesBreach } from './four-eyes.js';

describe('fourEyesBreach', () => {
  const pending = { user_id: 'owner', reviewed_by: 'approver' };

  it('refuses the owner reviewing or recording the payout of their own withdrawal', () => {
    expect(fourEyesBreach({ user_id: 'owner', reviewed_by: null }, 'owner', 'review')).toBe('own-withdrawal');
    expect(fourEyesBreach(pending, 'owner', 'record-payout')).toBe('own-withdrawal');
  });

  it('refuses the approver recording the payout, and only that', () => {
    expect(fourEyesBreach(pending, 'approver', 'record-payout')).toBe('approver-records-payout');
    expect(fourEyesBreach(pending, 'approver', 'review')).toBeNull();
  });

  it('lets anyone else act, and the payout port record what it answers', () => {
    expect(fourEyesBreach(pending, 'second-admin', 'record-payout')).toBeNull();
    expect(fourEyesBreach({ user_id: 'owner', reviewed_by: null }, 'any-admin', 'record-payout')).toBeNull();
    expect(fourEyesBreach(pending, 'system:payout', 'record-payout')).toBeNull();
  });
});
