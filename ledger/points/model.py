"""The points side's values (マイキープラットフォーム): what services return, each with its `facts()`.

Plain Python: no database, no framework. Facts are the contract's machine-readable answer (DESIGN.md),
with ISO dates and integers.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ledger.shared.clock import iso
from ledger.shared.provenance import RuleCheck, rule_facts

RESERVED = "reserved"  # 留保ポイント


@dataclass(frozen=True)
class Quote:
    """What an exchange will do, told to the user before they confirm."""

    user_id: str
    partner: str
    from_amount: int        # partner points or miles the user asked to exchange
    wallet_used: int        # Saison 永久不滅ウォレット used first (450 for a unit)
    to: str                 # "reserved" or "municipal:<id>"
    to_amount: int
    units: int
    rate_unit: int
    rate_per_unit: int
    verified: bool
    source: str
    quoted_on: dt.date
    points_used: int | None = None  # partner points actually debited (from_amount less the units paid from the wallet)
    campaign: str | None = None     # campaign id when the rate is a campaign's (直接 to a municipality)
    campaign_until: dt.date | None = None
    rule_check: RuleCheck | None = None  # whether the rules it leans on still hold on `quoted_on`

    @property
    def points_debited(self) -> int:
        return self.from_amount if self.points_used is None else self.points_used

    def entries(self) -> list[tuple[str, int]]:
        """The journal entries this exchange writes: one credit, to reserved points or to a municipality."""
        return [(self.to, self.to_amount)]

    def facts(self, status: str) -> dict[str, Any]:
        return {
            "kind": "conversion",
            "partner": self.partner,
            "from_amount": self.from_amount,
            "points_used": self.points_debited,
            "wallet_used": self.wallet_used,
            "to": self.to,
            "to_amount": self.to_amount,
            "units": self.units,
            "rate": {"unit": self.rate_unit, "per_unit": self.rate_per_unit, "verified": self.verified},
            "campaign": self.campaign,
            "campaign_until": iso(self.campaign_until),
            "status": status,
        } | rule_facts(self.rule_check)


@dataclass(frozen=True)
class ConversionPreview:
    """What an amount, or a share of what is held, would give: a quote to a question (試算), which commits to nothing.

    Only whole units convert: 12,345 JAL miles are 6 units of 2,000 = 12,000 miles → 6,000 points, and 345 miles
    stay with the program (`stays`)."""

    partner: str
    asked: int              # the amount said, or the share of what is held ("all" of 12,345 → 12,345)
    share: str | None       # "all" | "half" | "all_but" when the user named a share, else None
    units_said: int | None  # 口 said ("5口" = 5 units of the rate), else None
    held: int | None        # partner points held now (None: not linked, so unknown)
    linked: bool
    to: str                 # "reserved" or "municipal:<id>"
    units: int
    rate_unit: int
    rate_per_unit: int
    minimum: int
    verified: bool
    source: str
    campaign: str | None = None
    campaign_until: dt.date | None = None
    rule_check: RuleCheck | None = None

    @property
    def used(self) -> int:
        return self.units * self.rate_unit

    @property
    def stays(self) -> int:
        return self.asked - self.used

    @property
    def to_amount(self) -> int:
        return self.units * self.rate_per_unit

    @property
    def enough(self) -> bool:
        """The user holds what the whole units need (unknown while not linked)."""
        return self.held is not None and self.used <= self.held

    def facts(self) -> dict[str, Any]:
        return {
            "kind": "conversion_quote", "partner": self.partner, "amount": self.asked, "share": self.share,
            "units_said": self.units_said,
            "units": self.units, "used": self.used, "stays": self.stays, "to": self.to, "to_amount": self.to_amount,
            "rate": {"unit": self.rate_unit, "per_unit": self.rate_per_unit, "verified": self.verified},
            "minimum": self.minimum, "held": self.held, "linked": self.linked, "enough": self.enough,
            "campaign": self.campaign, "campaign_until": iso(self.campaign_until),
        } | rule_facts(self.rule_check)


@dataclass(frozen=True)
class Balance:
    """ポイント残高: reserved points, each municipality's points, event points, partner balances; the home
    municipality (基本自治体) is marked, as the platform's balance screen marks it."""

    reserved: int
    municipal: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    partners: dict[str, int] = field(default_factory=dict)
    home: str | None = None

    def facts(self) -> dict[str, Any]:
        return {
            "kind": "balance",
            "reserved": self.reserved,
            "municipal": dict(self.municipal),
            "events": dict(self.events),
            "partners": dict(self.partners),
            "home_municipality": self.home,
        }


@dataclass(frozen=True)
class Route:
    """One way partner points can go today: to reserved points at the normal rate, or to a municipality at a
    campaign rate; closed routes say why (`why_closed`: campaign_ended, campaign_not_started, below_minimum)."""

    to: str
    unit: int
    per_unit: int
    units: int
    remainder: int             # partner points left over: not a whole unit
    wallet_used: int
    verified: bool
    campaign: str | None = None
    campaign_until: dt.date | None = None
    why_closed: str | None = None

    @property
    def open(self) -> bool:
        return self.why_closed is None

    @property
    def to_amount(self) -> int:
        return self.units * self.per_unit

    @property
    def used(self) -> int:
        return self.units * self.unit

    def facts(self) -> dict[str, Any]:
        return {"to": self.to, "unit": self.unit, "per_unit": self.per_unit, "units": self.units,
                "to_amount": self.to_amount, "used": self.used, "remainder": self.remainder,
                "wallet_used": self.wallet_used, "campaign": self.campaign,
                "campaign_until": iso(self.campaign_until), "verified": self.verified, "open": self.open,
                "why_closed": self.why_closed}


@dataclass(frozen=True)
class RouteAdvice:
    """Every route `amount` partner points can take on `on`, and the best one (like ポイ探, in chat)."""

    partner: str
    amount: int
    on: dt.date
    minimum: int
    held: int
    wallet: int
    access: str                    # linked | link_pending | not_linked | coupon
    active_from: dt.date | None
    routes: tuple[Route, ...]
    best: Route | None
    rule_check: RuleCheck | None = None

    def facts(self) -> dict[str, Any]:
        return {"kind": "route_advice", "partner": self.partner, "amount": self.amount, "on": self.on.isoformat(),
                "minimum": self.minimum, "held": self.held, "wallet": self.wallet, "access": self.access,
                "active_from": iso(self.active_from), "routes": [r.facts() for r in self.routes],
                "best": self.best.facts() if self.best else None} | rule_facts(self.rule_check)


@dataclass(frozen=True)
class LinkStatus:
    """One partner's ID linkage (移行用のサービスID設定) as the platform shows it: active (設定済み), pending or
    not_linked."""

    partner: str
    status: str
    active_from: dt.date | None = None
    activation_days: int = 0     # the partner's delay, from the rules data (docomo 0: at once; JAL up to 7)
    delay_verified: bool = True  # False: no source gives the delay; `activation_days` is assumed
    shows_set: bool = True       # the platform marks it (設定済み) once active (Saison: never)
    rule_check: RuleCheck | None = None

    def facts(self) -> dict[str, Any]:
        return {"kind": "link", "partner": self.partner, "status": self.status, "active_from": iso(self.active_from),
                "activation_days": self.activation_days, "delay_verified": self.delay_verified,
                "shows_set": self.shows_set} | rule_facts(self.rule_check)


@dataclass(frozen=True)
class Move:
    """Reserved points (留保ポイント) moved — or, before the user confirms, to be moved — to a municipality's
    points or a 特定支援イベント. One-way."""

    to: str                        # municipal:<id> | event:<id>
    amount: int
    verified: bool
    municipality: str | None = None
    event: str | None = None
    automatic: bool = False        # the automatic move to the home municipality (基本自治体)
    rule_check: RuleCheck | None = None

    def confirmation_facts(self) -> dict[str, Any]:
        """Before the user confirms: what moves where."""
        return {"kind": "move", "from": RESERVED, "to": self.to, "amount": self.amount, "status": "needs_confirmation"}

    def facts(self) -> dict[str, Any]:
        """The move done: what moved where, the place, and whether the rules verify it."""
        facts: dict[str, Any] = {"kind": "move", "from": RESERVED, "to": self.to, "amount": self.amount,
                                 "status": "done"}
        if self.automatic:
            facts["automatic"] = True
        if self.municipality:
            facts["municipality"] = self.municipality
        if self.event:
            facts["event"] = self.event
        if not self.automatic:
            facts["verified"] = self.verified
        return facts | rule_facts(self.rule_check)

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> "Move":
        """The move a journal transaction recorded (its details are these facts)."""
        return cls(to=facts["to"], amount=facts["amount"], verified=facts.get("verified", True),
                   municipality=facts.get("municipality"), event=facts.get("event"),
                   automatic=bool(facts.get("automatic")))


@dataclass(frozen=True)
class AccountEntry:
    """One line of an account's history (履歴照会): a signed amount, what caused it, and when."""

    at: dt.datetime
    account: str            # reserved | municipal:<id> | event:<id>
    amount: int             # + credited, − debited
    what: str               # conversion | coupon | move | auto_move
    partner: str | None = None
    from_amount: int | None = None
    code: str | None = None
    counterpart: str | None = None  # where a move went (from reserved) or came from

    def facts(self) -> dict[str, Any]:
        return {"at": iso(self.at), "account": self.account, "amount": self.amount, "what": self.what,
                "partner": self.partner, "from_amount": self.from_amount, "code": self.code,
                "counterpart": self.counterpart}


@dataclass(frozen=True)
class AccountHistory:
    """The platform's three histories, each on its own: 留保ポイントの履歴照会 (reserved), 自治体ポイントの履歴照会
    (municipal), 特定支援イベントポイントの履歴照会 (event)."""

    account: str                 # reserved | municipal | event
    entries: tuple[AccountEntry, ...]
    balance: dict[str, int]      # the account's balance now (reserved: {"reserved": n}; municipal: by id)

    def facts(self) -> dict[str, Any]:
        return {"kind": "account_history", "account": self.account, "entries": [e.facts() for e in self.entries],
                "balance": dict(self.balance)}


@dataclass(frozen=True)
class PartnerEntry:
    """One line of 地域経済応援ポイント協力会社一覧: how points come from this partner, at what rate, and this user's
    link to it."""

    partner: str
    transfer: str                # link | coupon
    link_status: str | None      # active | pending | not_linked (link partners only)
    active_from: dt.date | None
    unit: int | None             # today's rate: `unit` partner points → `per_unit` reserved points
    per_unit: int | None
    minimum: int
    verified: bool
    campaigns: tuple[str, ...]   # municipalities with a campaign rate open today

    @property
    def convertible(self) -> bool:
        """Exchangeable now: a rate today, and (for link partners) an active link."""
        return self.unit is not None and (self.transfer == "coupon" or self.link_status == "active")

    def facts(self) -> dict[str, Any]:
        return {"partner": self.partner, "transfer": self.transfer, "link_status": self.link_status,
                "active_from": iso(self.active_from), "rate": {"unit": self.unit, "per_unit": self.per_unit,
                                                                "verified": self.verified},
                "minimum": self.minimum, "campaign_municipalities": list(self.campaigns),
                "convertible": self.convertible}


@dataclass(frozen=True)
class PartnerList:
    partners: tuple[PartnerEntry, ...]
    rule_check: RuleCheck | None = None

    def facts(self) -> dict[str, Any]:
        return {"kind": "partner_list", "partners": [p.facts() for p in self.partners]} | rule_facts(self.rule_check)


@dataclass(frozen=True)
class CouponIssued:
    """A coupon code (クーポンコード) a partner without ID linkage issued for reserved points."""

    code: str
    partner: str
    partner_points: int
    reserved_points: int
    expires_on: dt.date
    verified: bool

    def facts(self) -> dict[str, Any]:
        return {"kind": "coupon_issued", "code": self.code, "partner": self.partner,
                "partner_points": self.partner_points, "reserved_points": self.reserved_points,
                "expires_on": self.expires_on.isoformat(), "verified": self.verified}


@dataclass(frozen=True)
class CouponRedeemed:
    """A coupon code redeemed for reserved points."""

    code: str
    partner: str
    from_amount: int
    to_amount: int

    def facts(self) -> dict[str, Any]:
        return {"kind": "coupon", "code": self.code, "partner": self.partner, "from_amount": self.from_amount,
                "to": RESERVED, "to_amount": self.to_amount, "status": "done"}

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> "CouponRedeemed":
        return cls(code=facts["code"], partner=facts["partner"], from_amount=facts["from_amount"],
                   to_amount=facts["to_amount"])
