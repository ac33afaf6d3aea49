"""LINE's rich menu (リッチメニュー): five tiles under the chat for the main tasks — 残高, 交換, ステータス, 搭乗記録,
ヘルプ. A tap sends an everyday sentence as the user's own message, so it is an ordinary turn (the NLU reads it
like anything typed) and the chat shows what was asked.

`install_rich_menu` runs when the bot starts with LINE configured: it reuses the menu of this version if LINE
already has it (several workers start at once, a restart), else creates it, uploads its picture (drawn here,
2500 × 843 px PNG) and makes it the default for every user. A failure is logged and the chat works without it.
"""
from __future__ import annotations

import io
import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from linebot.v3.messaging import (  # noqa: E402
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    MessageAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)

from bot.chart import japanese_font  # noqa: E402

log = logging.getLogger(__name__)

MENU_NAME = "pointsbot-main-v1"   # a new layout gets a new name, so an old menu is never reused by mistake
WIDTH, HEIGHT = 2500, 843
TILES = [  # (label on the tile, what a tap says)
    ("残高", "残高を見せて"),
    ("交換", "ポイントを交換したい"),
    ("ステータス", "今のステータスは？"),
    ("搭乗記録", "搭乗記録を見せて"),
    ("ヘルプ", "ヘルプ"),
]


def menu_request() -> RichMenuRequest:
    width = WIDTH // len(TILES)
    return RichMenuRequest(
        size=RichMenuSize(width=WIDTH, height=HEIGHT), selected=True, name=MENU_NAME, chat_bar_text="メニュー",
        areas=[RichMenuArea(bounds=RichMenuBounds(x=i * width, y=0, width=width, height=HEIGHT),
                            action=MessageAction(label=label, text=said))
               for i, (label, said) in enumerate(TILES)])


def menu_image() -> bytes:
    """The menu's picture: one tile per task, its label in the middle (a Japanese font when one is installed)."""
    fig = plt.figure(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, HEIGHT)
    ax.axis("off")
    family = japanese_font()
    width = WIDTH / len(TILES)
    for i, (label, _) in enumerate(TILES):
        ax.add_patch(plt.Rectangle((i * width + 8, 8), width - 16, HEIGHT - 16,
                                   color="#1f5fa8" if i % 2 == 0 else "#2a74c4"))
        ax.text(i * width + width / 2, HEIGHT / 2, label, ha="center", va="center", color="white", fontsize=64,
                fontfamily=family or "sans-serif")
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    plt.close(fig)
    return out.getvalue()


async def install_rich_menu(api: AsyncMessagingApi, blob: AsyncMessagingApiBlob) -> str | None:
    """The id of the default rich menu, created the first time; None when LINE refused (logged)."""
    try:
        existing = [menu for menu in (await api.get_rich_menu_list()).richmenus if menu.name == MENU_NAME]
        if existing:
            menu_id = existing[0].rich_menu_id
        else:
            menu_id = (await api.create_rich_menu(menu_request())).rich_menu_id
            await blob.set_rich_menu_image(menu_id, menu_image(), _headers={"Content-Type": "image/png"})
        await api.set_default_rich_menu(menu_id)
        return menu_id
    except Exception as exc:   # the chat works without the menu
        log.warning("LINE rich menu not installed: %s", exc)
        return None
