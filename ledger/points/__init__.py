"""Municipal points on the MyKey Platform (マイキープラットフォーム / 自治体ポイント).

- `rules`: partners, rates and campaigns, municipalities, events, policies (from `ledger/rules/*.yml`)
- `model`: what the services return (Quote, Balance, RouteAdvice, LinkStatus, Move, coupons), with `facts()`
- `conversion`: quote and exchange partner points (the saga is `exchanges`), balance, history
- `advice`: every route partner points can take today, and the best one
- `linkage`: ID linkage (移行用のサービスID設定); `coupons` (+ `coupon_codes`): coupon codes
- `reserved`: reserved points (留保ポイント) to municipalities and events, and the automatic move
- `screens`: the three histories (履歴照会) and the partner list (協力会社一覧) with this user's links
- `partners`, `http_partner`: the partner gateway (sandbox in our database, or a partner's HTTP API)
- `sandbox`: sandbox balances, linkages and coupon codes
- `reconcile`: the exchanges, the journal and the partner's debits agree, or the differences

Nothing here imports `ledger.status`.
"""
from ledger.points import advice, conversion, coupons, exchanges, linkage, reconcile, reserved, sandbox, screens

SERVICES = (
    conversion.quote_conversion, conversion.preview_conversion, conversion.offer_conversion, conversion.convert_points,
    conversion.balance, conversion.history,
    advice.best_route,
    coupons.redeem_coupon,
    linkage.request_link, linkage.unlink, linkage.link_statuses,
    reserved.find_municipalities, reserved.events_open, reserved.set_home_municipality, reserved.quote_move,
    reserved.move_reserved, reserved.reserved_schedule, reserved.run_reserved_auto_moves,
    exchanges.recover_exchanges, reconcile.reconcile,
    sandbox.sandbox_grant, sandbox.sandbox_link, sandbox.sandbox_issue_coupon,
    screens.account_history, screens.partner_list,
)
"""The services of this domain, bound to their dependencies by `ledger.bootstrap`."""
