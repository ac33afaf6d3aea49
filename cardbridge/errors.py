"""Every condition the card bridge can meet, as a stable code and a message in the user's language.

The table follows `reference/jpki-cardbridge.md` §2: no PC/SC service, no reader, no card, card pulled, card reset,
another program holding the card, wrong PIN (with the tries left), locked PIN, malformed PIN, not a My Number card.
"""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "no_service": {
        "ja": "カードリーダーのサービス（pcscd）が動いていません。起動してからもう一度お試しください。",
        "en": "The card reader service (pcscd) is not running. Start it and try again.",
    },
    "no_reader": {
        "ja": "カードリーダーが見つかりません。リーダーを接続してください。",
        "en": "No card reader found. Please connect your reader.",
    },
    "no_card": {
        "ja": "カードが見つかりません。マイナンバーカードをリーダーに置いてください。",
        "en": "No card found. Please place your My Number card on the reader.",
    },
    "card_removed": {
        "ja": "途中でカードが外されました。カードを置いたまま、最初からやり直してください。",
        "en": "The card was removed part-way. Keep it on the reader and start again.",
    },
    "card_reset": {
        "ja": "ほかのプログラムがカードをリセットしました。もう一度暗証番号を入力してください。",
        "en": "Another program reset the card. Please enter your PIN again.",
    },
    "sharing_violation": {
        "ja": "ほかのプログラムがカードを使用中です。そのプログラムを閉じてからお試しください。",
        "en": "Another program is using the card. Close it and try again.",
    },
    "wrong_pin": {
        "ja": "暗証番号が違います。残り{tries_left}回です。",
        "en": "Wrong PIN. {tries_left} tries left.",
    },
    "pin_locked": {
        "ja": "暗証番号がロックされています。お住まいの市区町村の窓口で初期化してください。",
        "en": "The PIN is locked. Your city office can reset it.",
    },
    "pin_malformed": {
        "ja": "利用者証明用電子証明書の暗証番号は数字4桁です（カードの試行回数は減っていません）。",
        "en": "The user-authentication PIN is 4 digits (no try was used).",
    },
    "last_try_declined": {
        "ja": "最後の1回は使いませんでした。暗証番号を確かめてからやり直してください。",
        "en": "The last try was not used. Check your PIN and start again.",
    },
    "not_jpki": {
        "ja": "このカードには利用者証明用電子証明書がありません（マイナンバーカードではないか、証明書が発行されていません）。",
        "en": "This card has no user-authentication certificate (not a My Number card, or none was issued).",
    },
    "card_error": {
        "ja": "カードがエラーを返しました（{sw}）。カードを置き直してお試しください。",
        "en": "The card returned an error ({sw}). Place it again and retry.",
    },
    "server_refused": {
        "ja": "サーバーがログインを受け付けませんでした（{reason}）。チャットで新しいコードを取り直してください。",
        "en": "The server refused the login ({reason}). Get a new code in the chat and try again.",
    },
    "server_unreachable": {
        "ja": "サーバーに接続できません（{server}）。",
        "en": "Cannot reach the server ({server}).",
    },
    "bad_code": {
        "ja": "ペアリングコードの形式が違います。チャットに表示されたコードを入力してください。",
        "en": "That pairing code is not in the right form. Type the code the chat showed.",
    },
}


class CardError(Exception):
    """A condition with a stable `code` (a key of MESSAGES) and the values its message needs."""

    def __init__(self, code: str, **details) -> None:
        super().__init__(code)
        self.code = code
        self.details = details

    def message(self, locale: str = "ja") -> str:
        texts = MESSAGES.get(self.code) or MESSAGES["card_error"]
        template = texts.get(locale) or texts["en"]
        try:
            return template.format(**self.details)
        except (KeyError, IndexError):
            return template
