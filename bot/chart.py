"""The progress picture (進捗グラフ): Premium Points over the calendar year against the status thresholds.

`render_progress_chart` is pure: plain values in, PNG bytes out (matplotlib's Agg canvas on a
`Figure` of its own, no pyplot global state, so threads can render at once). `progress_chart`
gathers those values for one user from the `Ledger` (flights, rules, test clock) and is what the
HTTP API (GET /v1/status/chart) and the Telegram /chart command call.

Japanese labels need a font with Japanese glyphs; `japanese_font()` looks for one (IPA, Noto CJK,
Takao, VL Gothic … or anything fontconfig lists for `:lang=ja`). Without one the picture is drawn
with English labels rather than with empty boxes.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import shutil
import subprocess
from dataclasses import dataclass
from typing import Iterable

import matplotlib

matplotlib.use("Agg")  # no display; must precede any backend import

import matplotlib.dates as mdates  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from i18n import fmt_int, normalize_locale, t  # noqa: E402
from ledger.status import tiers as tier_engine  # noqa: E402

JAPANESE_FAMILIES = ("IPAexGothic", "IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "Noto Sans JP",
                     "Source Han Sans JP", "TakaoGothic", "VL Gothic", "Droid Sans Japanese")
TIER_COLOURS = {"bronze": "#b0702b", "platinum": "#7a8a99", "diamond": "#3a7bd5"}
SIZE_INCHES = (8.0, 4.5)
DPI = 100  # 800 × 450 px: a Telegram photo that reads on a phone


@dataclass(frozen=True)
class ChartTier:
    """A threshold line: the tier's name in the chart's language, its PP and, once reached, the day
    its advance service (事前サービス) starts."""

    id: str
    name: str
    pp: int
    advance_service_from: dt.date | None = None


@functools.lru_cache(maxsize=1)
def japanese_font() -> str | None:
    """A font family with Japanese glyphs that matplotlib can use, or None."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in JAPANESE_FAMILIES:
        if family in known:
            return family
    if shutil.which("fc-list"):  # a font fontconfig knows for Japanese but matplotlib had not indexed
        try:
            listing = subprocess.run(["fc-list", ":lang=ja", "file"], capture_output=True, text=True,
                                     timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        for line in listing.splitlines():
            path = line.strip().rstrip(":")
            if path.lower().endswith((".ttf", ".otf", ".ttc")):
                try:
                    font_manager.fontManager.addfont(path)
                    return font_manager.FontProperties(fname=path).get_name()
                except (OSError, RuntimeError, ValueError):
                    continue
    return None


def chart_locale(locale: str | None) -> str:
    """The language the labels are drawn in: Japanese only when a Japanese font is there."""
    wanted = normalize_locale(locale) or "en"
    if wanted == "ja" and japanese_font() is None:
        return "en"
    return wanted


def _label_date(day: dt.date, locale: str) -> str:
    return f"{day.month}月{day.day}日" if locale == "ja" else day.strftime("%b %-d")


def _steps(points: list[tuple[dt.date, int]], start: dt.date, end: dt.date) -> tuple[list[dt.date], list[int]]:
    """Cumulative totals as a step line from `start` to `end` (a point per crediting day)."""
    days, totals, total = [start], [0], 0
    by_day: dict[dt.date, int] = {}
    for day, pp in points:
        by_day[day] = by_day.get(day, 0) + pp
    for day in sorted(by_day):
        total += by_day[day]
        days.append(day)
        totals.append(total)
    days.append(max(end, days[-1]))
    totals.append(total)
    return days, totals


def render_progress_chart(points: Iterable[tuple[dt.date, int, bool]], tiers: Iterable[ChartTier],
                          today: dt.date, locale: str, *, year: int | None = None) -> bytes:
    """PNG bytes: cumulative PP by crediting day (total and ANA-group), a line per tier threshold,
    a marker at each reached tier's advance-service day, and today's line.

    `points` are (day credited, PP, ANA-group?) for the flights that count toward `year` (default:
    `today`'s year); the x axis runs over that calendar year (further if a late-December flight is
    credited in January). `locale` "ja" draws Japanese labels when a Japanese font is present.
    """
    points = sorted(points, key=lambda p: p[0])
    tiers = list(tiers)
    year = year or today.year
    lang = chart_locale(locale)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    last_day = max([end] + [p[0] for p in points])

    fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    font = {"family": japanese_font()} if lang == "ja" else {}

    days, totals = _steps([(d, pp) for d, pp, _ in points], start, last_day)
    ax.step(days, totals, where="post", color="#1f3b73", linewidth=2.2, label=t("chart.total", lang))
    g_days, g_totals = _steps([(d, pp) for d, pp, group in points if group], start, last_day)
    ax.step(g_days, g_totals, where="post", color="#1f9e89", linewidth=1.6, linestyle="--",
            label=t("chart.ana_group", lang))

    for tier in tiers:
        colour = TIER_COLOURS.get(tier.id, "#888888")
        ax.axhline(tier.pp, color=colour, linewidth=1, linestyle=":")
        if tier.advance_service_from is not None:
            ax.plot([tier.advance_service_from], [tier.pp], marker="o", color=colour, markersize=7, zorder=5)
            ax.annotate(t("chart.reached", lang, tier=tier.name, date=_label_date(tier.advance_service_from, lang)),
                        (tier.advance_service_from, tier.pp), xytext=(-8, 8), textcoords="offset points", ha="right",
                        color=colour, fontsize=8, fontfamily=font.get("family"), zorder=6,
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": colour, "alpha": 0.9})

    top = max([totals[-1]] + [tier.pp for tier in tiers] + [1]) * 1.12
    ax.set_ylim(0, top)
    if start <= today <= last_day:
        ax.axvline(today, color="#c0392b", linewidth=1)
        ax.text(today, top, " " + t("chart.today", lang), color="#c0392b", fontsize=8, va="top", fontdict=font)
    ax.set_xlim(start, last_day + dt.timedelta(days=1))
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: f"{mdates.num2date(v).month}月" if lang == "ja" else mdates.num2date(v).strftime("%b")))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt_int(int(v))))
    # tier names on a right-hand axis at their thresholds: never over the data
    names = ax.twinx()
    names.set_ylim(ax.get_ylim())
    names.set_yticks([tier.pp for tier in tiers],
                     [t("chart.threshold", lang, tier=tier.name, pp=tier.pp) for tier in tiers], fontsize=8)
    for label, tier in zip(names.get_yticklabels(), tiers):
        label.set_color(TIER_COLOURS.get(tier.id, "#888888"))
    names.tick_params(length=0)
    if font:
        ax.tick_params(labelfontfamily=font["family"])
        names.tick_params(labelfontfamily=font["family"])
    ax.set_title(t("chart.title", lang, year=str(year)), fontdict=font)
    ax.set_xlabel(t("chart.x_label", lang), fontdict=font)
    ax.set_ylabel("PP")
    ax.grid(axis="y", alpha=0.25)
    legend = ax.legend(loc="upper left", fontsize=8, prop=font_manager.FontProperties(family=font["family"], size=8)
                       if font else None)
    legend.set_zorder(6)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def chart_values(flights: list[tier_engine.FlightPP], year: int, rules, locale: str) -> tuple[list, list[ChartTier]]:
    """Points by (earliest) crediting day and the tiers with their advance-service days, from the status engine."""
    lang = chart_locale(locale)
    points = [(tier_engine.credit_window(f, rules.status)[0], f.premium_points, f.ana_group) for f in flights]
    tiers = []
    for tier in rules.status.tiers:
        start = tier_engine.status_start(flights, tier, year, rules.status)
        tiers.append(ChartTier(tier.id, tier.name(lang), tier.pp, start.advance_service_from if start.reached else None))
    return points, tiers


def progress_chart(ledger, user_id: str, year: int | None, locale: str | None) -> bytes:
    """The user's progress picture for `year` (default: this year on the ledger's clock, test clock included)."""
    today = ledger.clock.today()
    year = year or today.year
    flights = ledger.flights_for_year(user_id, year)
    points, tiers = chart_values(flights, year, ledger.rules, locale or "en")
    return render_progress_chart(points, tiers, today, locale or "en", year=year)


def chart_caption(ledger, user_id: str, year: int | None, locale: str | None) -> str:
    """A short caption in the user's language: the year's PP and the distance to the next tier."""
    lang = normalize_locale(locale) or "en"
    year = year or ledger.clock.today().year
    flights = ledger.flights_for_year(user_id, year)
    pp = sum(f.premium_points for f in flights)
    group = sum(f.premium_points for f in flights if f.ana_group)
    text = t("chart.caption", lang, year=str(year), pp=pp, group_pp=group)
    for tier in ledger.rules.status.tiers:
        start = tier_engine.status_start(flights, tier, year, ledger.rules.status)
        if not start.reached:
            text += t("chart.caption_next", lang, tier=tier.name(lang), missing=start.pp_missing)
            break
    return text
