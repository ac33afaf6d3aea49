"""Services both domains' front ends use, over storage: the notices outbox, the language a user writes in,
deliveries already handled (a redelivered update acts once), the sandbox test clock, and logging in with a My
Number card (`card_login`, checked against `card_trust`).

Nothing here imports `ledger.points` or `ledger.status`.
"""
from ledger.common import card_login, deliveries, dispatch, notices, passwords, profiles, sandbox_clock

SERVICES = (
    notices.notices_for, notices.take_notices, notices.mute_notices, notices.unmute_notices, notices.set_quiet_hours,
    notices.notice_settings,
    dispatch.claim_due_notices, dispatch.begin_notice_send, dispatch.notice_sent, dispatch.notice_not_sent,
    dispatch.notice_user_blocked, dispatch.release_notices, dispatch.settle_cut_off_sends, dispatch.take_send_slot,
    dispatch.pause_sends,
    profiles.remember_locale, profiles.user_locale, profiles.set_reachable, profiles.set_voice_replies, profiles.voice_replies,
    deliveries.claim_request, deliveries.release_request,
    sandbox_clock.set_test_clock, sandbox_clock.read_test_clock,
    card_login.start_card_login, card_login.card_challenge, card_login.complete_card_login, card_login.login_session,
    card_login.logout, passwords.set_mykey_password, passwords.password_login,
)
"""The services of this package, bound to their dependencies by `ledger.bootstrap`."""
