"""The MyKey Platform's rules as data (`rules/partners.yml`, `rules/municipalities.yml`): partner rates and
campaigns, municipalities and their point services, support events, the reserved-points and coupon policies.

Every rate, campaign, minimum and linkage delay carries its dates, its source and the day the source last
confirmed it (`Confirmed`); nothing here is hard-coded policy.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ledger.shared.data_files import read_yaml
from ledger.shared.names import find_named, normalize_name, rules_date
from ledger.shared.provenance import Confirmed, RuleCheck, check_rules, confirmed
from ledger.shared.refusals import Refusal


@dataclass(frozen=True)
class Rate:
    """Normal rate to reserved points (留保ポイント): `unit` partner points → `reserved_per_unit`."""

    valid_from: dt.date
    valid_until: dt.date | None
    unit: int
    reserved_per_unit: int
    minimum: int
    source: str
    verified: bool
    confirmed: Confirmed

    def applies_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Campaign:
    """A campaign rate straight to a municipality's points (自治体ポイント)."""

    id: str
    valid_from: dt.date
    valid_until: dt.date
    unit: int
    municipal_per_unit: int
    municipalities: tuple[str, ...]
    source: str
    verified: bool
    confirmed: Confirmed

    def applies_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class Linkage:
    """ID linkage (移行用のサービスID設定) with one partner, as the platform runs it: the user logs in on the
    partner's own screen and consents there; the link is active after the partner's delay (docomo at once,
    then (設定済み); JAL up to a week). `verified: false`: no source gives the delay, which is assumed."""

    activation_days: int
    login: dict[str, str]      # the partner's own login screen
    consent: dict[str, str]    # the partner's consent step
    shows_set: bool            # the platform marks the partner (設定済み) once linked (Saison: never)
    source: str
    verified: bool
    confirmed: Confirmed

    def login_name(self, locale: str) -> str:
        return self.login.get(locale) or self.login["en"]

    def consent_name(self, locale: str) -> str:
        return self.consent.get(locale) or self.consent["en"]


@dataclass(frozen=True)
class Partner:
    """A partner program (地域経済応援ポイント協力会社): reached by ID linkage or by coupon codes."""

    id: str
    names: dict[str, str]
    unit_name: dict[str, str]
    aliases: tuple[str, ...]
    transfer: str  # "link" (ID linkage) or "coupon"
    wallet_first: int
    rates: tuple[Rate, ...]
    campaigns: tuple[Campaign, ...] = field(default=())
    coupon_prefix: str = ""
    wallet_source: str = ""
    linkage: Linkage | None = None  # for partners reached by ID linkage

    @property
    def link_activation_days(self) -> int:
        return self.linkage.activation_days if self.linkage else 0

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    def unit(self, locale: str) -> str:
        """What its points are called: miles / マイル, points / ポイント."""
        return self.unit_name.get(locale) or self.unit_name["en"]

    def rate_on(self, day: dt.date) -> Rate | None:
        return next((rate for rate in self.rates if rate.applies_on(day)), None)

    def wallet_units(self, units: int, wallet: int) -> int:
        """Units paid from the 永久不滅ウォレット first: one per `wallet_first` held (Saison 450), never more than asked."""
        return min(units, wallet // self.wallet_first) if self.wallet_first else 0

    def whole_units(self, amount: int, unit: int, minimum: int) -> int:
        """How many whole units `amount` is; refused below the minimum or between units (口 are whole)."""
        if amount < minimum:
            raise Refusal("below_minimum", partner=self.id, minimum=minimum, given=amount)
        if amount % unit:
            lower = amount - amount % unit
            raise Refusal("not_whole_units", partner=self.id, unit=unit, given=amount, lower=lower,
                          higher=lower + unit)
        return amount // unit

    def campaign_on(self, day: dt.date, municipality: str) -> Campaign | None:
        """The campaign rate straight to `municipality` running on `day`, if any."""
        return next((c for c in self.campaigns if c.applies_on(day) and municipality in c.municipalities), None)


@dataclass(frozen=True)
class Municipality:
    """A municipality (自治体) and its point service (e.g. 笠間市 → 笠間応援ポイント)."""

    id: str
    names: dict[str, str]
    prefecture: str
    prefecture_names: dict[str, str]
    service_names: dict[str, str]
    aliases: tuple[str, ...]
    source: str
    verified: bool

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    def prefecture_name(self, locale: str) -> str:
        return self.prefecture_names.get(locale) or self.prefecture_names["en"]

    def point_service(self, locale: str) -> str:
        return self.service_names.get(locale) or self.service_names["en"]


@dataclass(frozen=True)
class Event:
    """A 特定支援イベント (specific support event) that reserved points can go to while it runs."""

    id: str
    names: dict[str, str]
    municipality: str
    valid_from: dt.date
    valid_until: dt.date
    aliases: tuple[str, ...]
    source: str
    verified: bool

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    def open_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class ReservedPolicy:
    """留保ポイント: days before they move to the home municipality (基本自治体), and the notice before it."""

    auto_move_after_days: int
    notice_days_before: int
    source: str
    confirmed: Confirmed


@dataclass(frozen=True)
class CouponPolicy:
    valid_days: int
    max_failures: int
    failure_window_minutes: int
    lock_minutes: int
    verified: bool
    confirmed: Confirmed


@dataclass(frozen=True)
class PointsRules:
    """Everything the points side (MyKey Platform) decides by, loaded from the rules files."""

    partners: dict[str, Partner]
    municipalities: dict[str, Municipality]
    prefectures: dict[str, dict[str, str]]            # id → names
    prefecture_aliases: dict[str, tuple[str, ...]]
    events: dict[str, Event]
    reserved: ReservedPolicy
    coupons: CouponPolicy
    scheme: Confirmed          # 地域経済応援ポイント itself: ended 2020-09-30 (めいぶつチョイス closed)
    history_words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # 履歴照会: which history a message names
    campaign_notice_days: int = 7   # "a campaign rate ends in N days" (partners.yml notices)

    def histories_named(self, text: str | None) -> list[str]:
        """The histories (reserved, municipal, event) whose words `text` contains, in the rules file's order."""
        folded = normalize_name(text or "")
        return [account for account, words in self.history_words.items() if any(w in folded for w in words)]

    def check(self, day: dt.date, partner: Partner | None = None, *, rate: Rate | None = None,
              campaign: Campaign | None = None, linkage: bool = False, reserved: bool = False) -> RuleCheck:
        """Whether an answer for `day` can lean on the rules it uses: the scheme itself, and the partner's rate,
        campaign and linkage delay, and the reserved-points policy where the answer uses them."""
        if partner is not None and rate is None and not linkage:
            rate = partner.rate_on(day)
        used = [self.scheme, rate.confirmed if rate else None, campaign.confirmed if campaign else None,
                partner.linkage.confirmed if linkage and partner and partner.linkage else None,
                self.reserved.confirmed if reserved else None]
        return check_rules(day, used)

    def find_partner(self, text: str | None) -> Partner | None:
        """The partner a user means by `text` (an id, a name or an alias in either language)."""
        return find_named(((p.id, p.aliases, p) for p in self.partners.values()), text)

    def known_partner(self, text: str | None) -> Partner:
        """The partner meant by `text`, or Refusal("unknown_partner") naming the ones there are."""
        partner = self.find_partner(text)
        if partner is None:
            raise Refusal("unknown_partner", given=str(text or "")[:40], known=sorted(self.partners))
        return partner

    def link_partners(self) -> list[Partner]:
        """Partners reached by ID linkage (移行用のサービスID設定), in the rules file's order."""
        return [p for p in self.partners.values() if p.transfer == "link"]

    def coupon_partner(self, prefix: str) -> Partner | None:
        return next((p for p in self.partners.values() if p.coupon_prefix and p.coupon_prefix == prefix), None)

    def find_municipality(self, text: str | None) -> Municipality | None:
        """The municipality meant by an id, a name, or its point service's name, in either language."""
        return find_named(((m.id, m.aliases, m) for m in self.municipalities.values()), text)

    def find_prefecture(self, text: str | None) -> str | None:
        return find_named(((pid, aliases, pid) for pid, aliases in self.prefecture_aliases.items()), text)

    def municipalities_in(self, prefecture: str) -> list[Municipality]:
        return [m for m in self.municipalities.values() if m.prefecture == prefecture]

    def find_event(self, text: str | None) -> Event | None:
        return find_named(((e.id, e.aliases, e) for e in self.events.values()), text)


def _names(raw: dict) -> dict[str, str]:
    return {k: str(v) for k, v in raw.items()}


def _partner(pid: str, raw: dict, nicknames: list[str]) -> Partner:
    rates = tuple(
        Rate(valid_from=rules_date(r["valid_from"]), valid_until=rules_date(r.get("valid_until")), unit=int(r["unit"]),
             reserved_per_unit=int(r["reserved_per_unit"]), minimum=int(r.get("minimum", 0)), source=r["source"],
             verified=bool(r["verified"]), confirmed=confirmed(r, f"{pid} rate"))
        for r in raw["rates"]
    )
    campaigns = tuple(
        Campaign(id=c["id"], valid_from=rules_date(c["valid_from"]), valid_until=rules_date(c["valid_until"]),
                 unit=int(c["unit"]), municipal_per_unit=int(c["municipal_per_unit"]),
                 municipalities=tuple(c["municipalities"]), source=c["source"], verified=bool(c["verified"]),
                 confirmed=confirmed(c, f"campaign {c['id']}"))
        for c in raw.get("campaigns", [])
    )
    link = raw.get("linkage")
    if raw["transfer"] == "link" and not link:
        raise ValueError(f"rules: {pid} is reached by ID linkage but has no linkage block")
    linkage = Linkage(
        activation_days=int(link["activation_days"]), login=_names(link["login"]), consent=_names(link["consent"]),
        shows_set=bool(link["shows_set"]), source=str(link["source"]), verified=bool(link["verified"]),
        confirmed=confirmed(link, f"{pid} linkage"),
    ) if link else None
    if linkage and linkage.activation_days < 0:
        raise ValueError(f"rules: {pid} linkage has a negative delay")
    return Partner(
        id=pid, names=dict(raw["names"]), unit_name=dict(raw["unit_name"]),
        aliases=tuple(dict.fromkeys(normalize_name(a) for a in [*raw.get("aliases", []), *nicknames])),
        transfer=raw["transfer"], linkage=linkage, wallet_first=int(raw.get("wallet_first", 0)),
        rates=rates, campaigns=campaigns, coupon_prefix=str(raw.get("coupon_prefix", "")),
        wallet_source=str(raw.get("wallet_source", "")),
    )


def load_points_rules(directory: Path) -> PointsRules:
    """`partners.yml`, `municipalities.yml` and the programs' names in `lexicon.yml` in `directory` → PointsRules."""
    partners_raw = read_yaml(directory / "partners.yml")
    lexicon = read_yaml(directory / "lexicon.yml") if (directory / "lexicon.yml").exists() else {}
    nicknames = {pid: [n for kind in kinds.values() for n in kind] for pid, kinds in lexicon.get("programs", {}).items()}
    places = read_yaml(directory / "municipalities.yml")
    municipalities: dict[str, Municipality] = {}
    prefectures: dict[str, dict[str, str]] = {}
    prefecture_aliases: dict[str, tuple[str, ...]] = {}
    for pref_id, pref in places["prefectures"].items():
        prefectures[pref_id] = _names(pref["names"])
        prefecture_aliases[pref_id] = tuple(
            normalize_name(a) for a in [*pref.get("aliases", []), *pref["names"].values()])
        for mid, m in pref["municipalities"].items():
            aliases = [*m.get("aliases", []), *m["names"].values(), *m.get("aliases_of_service", []),
                       *m["point_service"].values()]
            municipalities[mid] = Municipality(
                id=mid, names=_names(m["names"]), prefecture=pref_id, prefecture_names=_names(pref["names"]),
                service_names=_names(m["point_service"]), aliases=tuple(normalize_name(a) for a in aliases),
                source=m["source"], verified=bool(m["verified"]),
            )
    events = {
        eid: Event(id=eid, names=_names(e["names"]), municipality=e["municipality"],
                   valid_from=rules_date(e["valid_from"]), valid_until=rules_date(e["valid_until"]),
                   aliases=tuple(normalize_name(a) for a in [*e.get("aliases", []), *e["names"].values()]),
                   source=e["source"], verified=bool(e["verified"]))
        for eid, e in (places.get("events") or {}).items()
    }
    r = places["reserved_points"]
    c = partners_raw["coupon_policy"]
    return PointsRules(
        partners={pid: _partner(pid, raw, nicknames.get(pid, [])) for pid, raw in partners_raw["partners"].items()},
        municipalities=municipalities, prefectures=prefectures, prefecture_aliases=prefecture_aliases, events=events,
        reserved=ReservedPolicy(auto_move_after_days=int(r["auto_move_after_days"]),
                                notice_days_before=int(r["notice_days_before"]), source=r["source"],
                                confirmed=confirmed(r, "reserved_points")),
        coupons=CouponPolicy(valid_days=int(c["valid_days"]), max_failures=int(c["max_failures"]),
                             failure_window_minutes=int(c["failure_window_minutes"]),
                             lock_minutes=int(c["lock_minutes"]), verified=bool(c["verified"]),
                             confirmed=confirmed(c, "coupon_policy")),
        scheme=confirmed(partners_raw["scheme"], "scheme"),
        campaign_notice_days=int((partners_raw.get("notices") or {}).get("campaign_ends_days_before", 7)),
        history_words={account: tuple(normalize_name(str(w)) for w in words)
                       for account, words in (lexicon.get("history_words") or {}).items()},
    )
