"""What the assistant says, in English and Japanese, and how it picks the language.

One catalogue for the actions, the bot and the HTTP API, so a refusal reads the same everywhere.
"""
from __future__ import annotations

import datetime as dt
import re

from ledger.clock import TOKYO

LOCALES = ("en", "ja")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_WEEKDAYS = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "ja": ["月", "火", "水", "木", "金", "土", "日"]}


def normalize_locale(value: str | None) -> str | None:
    """"ja-JP", "ja", "en_US" → "ja"/"en"; anything else → None."""
    if not value:
        return None
    base = value.replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


# Latin words that say nothing about the writer's language (program names, units, payloads).
_NEUTRAL_WORDS = {"jal", "ana", "pp", "ponta", "saison", "docomo", "katene", "nh", "ok", "mykey", "sfc", "id", "k"}
_LATIN_WORD = re.compile(r"(?<![/{\"])\b[A-Za-z]{2,}\b")


def script_locale(text: str | None) -> str | None:
    """"ja" for Japanese script, "en" for English words, None when the text doesn't tell (numbers, names, payloads)."""
    if not text:
        return None
    if _JAPANESE.search(text):
        return "ja"
    if text.lstrip().startswith("/"):
        return None
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if any(w not in _NEUTRAL_WORDS for w in words):
        return "en"
    return None


def detect_locale(text: str | None, hint: str | None = None) -> str:
    """The message's own language when it shows one; else the client's hint; else English."""
    return script_locale(text) or normalize_locale(hint) or "en"


def fmt_date(day: dt.date | str | None, locale: str) -> str:
    if day is None:
        return "—"
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    weekday = _WEEKDAYS[locale][day.weekday()]
    if locale == "ja":
        return f"{day.year}年{day.month}月{day.day}日（{weekday}）"
    return f"{day.isoformat()} ({weekday})"


def fmt_moment(moment: dt.datetime | str, locale: str) -> str:
    """A moment in Tokyo time: 2018-06-01 (Fri) 14:30 / 2018年6月1日（金）14:30."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    local = moment.astimezone(TOKYO)
    return f"{fmt_date(local.date(), locale)} {local:%H:%M}"


def fmt_int(value: int) -> str:
    return f"{value:,}"


CATALOG: dict[str, dict[str, str]] = {
    "greet": {
        "en": "Hello! I convert miles and points into municipal points on the MyKey Platform, and I tell you "
              "exactly when your ANA status starts.\nTry: “convert 2000 JAL miles”, “balance”, “I flew on "
              "2016-06-08 and earned 1342 premium points”, or “when does my bronze status start”.",
        "ja": "こんにちは！マイルやポイントをマイキープラットフォームの自治体ポイントに交換したり、ANAのステータスが"
              "いつから始まるかをお答えします。\n例：「JALの2000マイルを交換したい」「残高」「2016年6月8日に搭乗して"
              "1342プレミアムポイントを獲得」「ブロンズはいつから？」",
    },
    "help": {
        "en": "Here is what I can do:\n• Convert partner points to reserved points: “convert 2000 JAL miles”\n"
              "• Show balances: “balance”\n• Log a flight: “I flew on 2016-06-08 and earned 1342 premium points”\n"
              "• Tell when a status starts: “when does my bronze status start”\nSay “cancel” at any time to stop.",
        "ja": "できること：\n• 提携ポイントを留保ポイントに交換：「JALの2000マイルを交換したい」\n• 残高の表示：「残高」\n"
              "• 搭乗の記録：「2016年6月8日に搭乗して1342プレミアムポイントを獲得」\n"
              "• ステータス開始日：「ブロンズはいつから？」\n途中でやめるときは「キャンセル」と言ってください。",
    },
    "goodbye": {"en": "Goodbye! Your points are safe with me.", "ja": "ご利用ありがとうございました。"},
    "fallback": {
        "en": "Sorry, I didn't understand that. I can convert points (“convert 2000 JAL miles”), show your "
              "balance (“balance”), log flights and tell when a status starts. Say “help” for more.",
        "ja": "すみません、よく分かりませんでした。ポイント交換（「JALの2000マイルを交換したい」）、残高（「残高」）、"
              "搭乗記録、ステータス開始日にお答えできます。「ヘルプ」で一覧を表示します。",
    },
    "cancelled": {"en": "Cancelled. Nothing was changed.", "ja": "キャンセルしました。何も変更していません。"},
    "ask_partner": {
        "en": "Which program do you want to convert from?",
        "ja": "どのポイント・マイルから交換しますか？",
    },
    "ask_amount": {
        "en": "How many {unit} from {partner} do you want to convert? They convert in units of {unit_size}.",
        "ja": "{partner}をいくつ交換しますか？{unit_size}{unit}単位で交換できます。",
    },
    "ask_amount_any": {"en": "How many do you want to convert?", "ja": "いくつ交換しますか？"},
    "confirm_conversion": {
        "en": "Converting {from_amount} {unit} from {partner} gives {to_amount} reserved points (留保ポイント) "
              "at {rate_unit} → {rate_per_unit}. Conversions are one-way. Go ahead?",
        "ja": "{partner}{from_amount}{unit}を交換すると、留保ポイントが{to_amount}ポイントになります"
              "（{rate_unit}→{rate_per_unit}）。交換後は元に戻せません。交換しますか？",
    },
    "unverified_rate": {
        "en": "Note: this rate is not confirmed by any source I have ({source}).",
        "ja": "ご注意：この交換レートは確認できた出典がありません（{source}）。",
    },
    "yes": {"en": "Yes, convert", "ja": "はい、交換する"},
    "no": {"en": "No", "ja": "いいえ"},
    "converted": {
        "en": "Done: {from_amount} {unit} from {partner} → {to_amount} reserved points. You now have {reserved} "
              "reserved points and {left} {unit} left. Reserved points you don't move within 14 days go to your "
              "home municipality.",
        "ja": "交換しました：{partner}{from_amount}{unit} → 留保ポイント{to_amount}ポイント。留保ポイントは{reserved}"
              "ポイント、{partner}の残りは{left}{unit}です。14日以内に移行先を選ばない留保ポイントは基本自治体に移ります。",
    },
    "already_converted": {
        "en": "That conversion was already done ({from_amount} {unit} → {to_amount} reserved points); I did not convert again.",
        "ja": "この交換は完了済みです（{from_amount}{unit} → 留保ポイント{to_amount}）。二重には交換していません。",
    },
    "not_converted": {"en": "OK, I didn't convert anything.", "ja": "交換をやめました。何も変更していません。"},
    "balance": {"en": "Your balance:", "ja": "残高："},
    "balance_reserved": {"en": "• Reserved points (留保ポイント): {n}", "ja": "• 留保ポイント：{n}ポイント"},
    "balance_municipal": {"en": "• {name}: {n}", "ja": "• {name}：{n}ポイント"},
    "balance_partner": {"en": "• {partner}: {n} {unit}", "ja": "• {partner}：{n}{unit}"},
    "balance_empty": {"en": "• no partner accounts yet", "ja": "• 提携先の口座はまだありません"},
    "ask_flight_date": {
        "en": "On which date did you fly? (for example 2016-06-08)",
        "ja": "搭乗日はいつですか？（例：2016年6月8日）",
    },
    "ask_pp": {
        "en": "How many premium points (PP) did that flight earn?",
        "ja": "そのフライトで獲得したプレミアムポイント（PP）はいくつですか？",
    },
    "flight_logged": {
        "en": "Logged your flight on {date}: {pp} PP ({group}). Your {year} total is now {year_pp} PP.",
        "ja": "{date}の搭乗を記録しました：{pp} PP（{group}）。{year}年の合計は{year_pp} PPです。",
    },
    "flight_already": {
        "en": "That flight was already logged; I did not add it twice. Your {year} total is {year_pp} PP.",
        "ja": "この搭乗は記録済みのため、重複して追加していません。{year}年の合計は{year_pp} PPです。",
    },
    "ana_group": {"en": "ANA group", "ja": "ANAグループ便"},
    "partner_flight": {"en": "partner airline", "ja": "提携航空会社便"},
    "status_will_start": {
        "en": "Your {tier} status starts on {advance_from} (advance service, 事前サービス), and runs until {advance_until}.",
        "ja": "{tier}ステータスは{advance_from}から始まります（事前サービス、{advance_until}まで）。",
    },
    "status_started": {
        "en": "Your {tier} status started on {advance_from} (advance service, 事前サービス) and runs until {advance_until}.",
        "ja": "{tier}ステータスは{advance_from}から始まっています（事前サービス、{advance_until}まで）。",
    },
    "status_why": {
        "en": "Why: your flight on {flight_on} takes you to {pp} PP in {year} ({group_pp} on ANA-group flights; "
              "{tier} needs {need} PP, {need_group} of them on ANA-group flights). ANA credits PP the day after an ANA-group flight, so they "
              "were credited on {credited}, and the status shows from the day after crediting.",
        "ja": "理由：{flight_on}の搭乗で{year}年のPPが{pp}（うちANAグループ便{group_pp}）になります（{tier}の条件は"
              "{need}、うちANAグループ便{need_group}）。ANAグループ便のPPは搭乗の翌日（{credited}）に積算され、"
              "ステータスは積算の翌日から反映されます。",
    },
    "status_why_partner": {
        "en": "Why: your flight on {flight_on} takes you to {pp} PP in {year}. It was on a partner airline, whose PP "
              "are credited 3 days to a month after the flight — between {credited} and {credited_by} — so the status "
              "starts between {advance_from} and {advance_by}.",
        "ja": "理由：{flight_on}の搭乗で{year}年のPPが{pp}になります。提携航空会社便のPPは搭乗の3日後〜1か月後"
              "（{credited}〜{credited_by}）に積算されるため、ステータス開始は{advance_from}〜{advance_by}の間です。",
    },
    "status_today_gap": {
        "en": "Today your PP are already credited, but the app still shows your old status until tomorrow.",
        "ja": "本日PPは積算済みですが、ステータスの表示が変わるのは明日です。",
    },
    "status_early_months": {
        "en": "You reached it between January and March, so the advance service starts only in April "
              "(ANA's official word is “mid-April”; it has been seen as early as April 2).",
        "ja": "1〜3月に達成したため、事前サービスは4月からです（ANAの公式表現は「4月中旬」、実際には4月2日頃からの例もあります）。",
    },
    "status_main": {
        "en": "The main status year runs {main_from} – {main_until}. Expect the status card 2–3 weeks after it starts.",
        "ja": "本ステータスの期間は{main_from}〜{main_until}です。ステータスカードは開始から2〜3週間ほどで届きます。",
    },
    "status_not_yet": {
        "en": "You have {pp} PP in {year} ({group_pp} on ANA-group flights). {tier} needs {need} PP, {need_group} of "
              "them on ANA-group flights: {missing} PP to go{missing_group}.",
        "ja": "{year}年のPPは{pp}（うちANAグループ便{group_pp}）です。{tier}には{need} PP（うちANAグループ便{need_group}）"
              "が必要で、あと{missing} PPです{missing_group}。",
    },
    "status_missing_group": {
        "en": " ({n} more of them on ANA-group flights)",
        "ja": "（ANAグループ便であと{n} PP）",
    },
    "ask_tier": {"en": "Which status: Bronze, Platinum or Diamond?", "ja": "どのステータスですか？ブロンズ・プラチナ・ダイヤモンド"},
    "too_long": {
        "en": "That message is too long ({length} characters). Please keep it under {limit} characters.",
        "ja": "メッセージが長すぎます（{length}文字）。{limit}文字以内でお願いします。",
    },
    "replayed": {
        "en": "I already handled this request (same request_id); nothing was done again.",
        "ja": "このリクエストは処理済みです（同じrequest_id）。重複して処理していません。",
    },
    "empty": {"en": "Please type a message.", "ja": "メッセージを入力してください。"},
    "nlu_down": {
        "en": "I can't understand messages right now (the language service is starting or down). Please try again in a minute.",
        "ja": "ただいまメッセージを理解できません（言語サービスが起動中か停止しています）。1分ほどしてからもう一度お試しください。",
    },
    # refusals: keys are the stable reason codes in facts
    "refusal.unknown_partner": {
        "en": "I don't know the program “{given}”. I can convert from: {known}.",
        "ja": "「{given}」というポイントは扱っていません。交換できるのは：{known}",
    },
    "refusal.coupon_partner": {
        "en": "{partner} doesn't convert by ID linkage: it issues a coupon code that you redeem on the MyKey Platform.",
        "ja": "{partner}はID連携ではなく、クーポンコードを発行してマイキープラットフォームで登録する方式です。",
    },
    "refusal.not_linked": {
        "en": "Your {partner} account isn't linked to your MyKey ID yet. Link it first (ID linkage, 移行用のサービスID設定); "
              "it can take up to a week to become active.",
        "ja": "{partner}のIDがマイキーIDとまだ連携されていません。先に「移行用のサービスID設定」をしてください（有効になるまで最大1週間）。",
    },
    "refusal.link_pending": {
        "en": "Your {partner} ID linkage is not active yet; exchanges should work from {active_from}.",
        "ja": "{partner}のID連携はまだ有効になっていません。{active_from}から交換できる見込みです。",
    },
    "refusal.no_rate": {
        "en": "{partner} could not be converted on {on}: no exchange rate applies on that day.",
        "ja": "{on}には{partner}の交換レートがないため交換できません。",
    },
    "refusal.below_minimum": {
        "en": "{partner} converts at least {minimum} at a time; you asked for {given}.",
        "ja": "{partner}は1回{minimum}以上から交換できます（指定：{given}）。",
    },
    "refusal.not_whole_units": {
        "en": "{partner} converts in whole units of {unit}; {given} isn't one. Try {lower} or {higher}.",
        "ja": "{partner}は{unit}単位で交換します。{given}は単位に合いません。{lower}か{higher}ではいかがですか。",
    },
    "refusal.insufficient_balance": {
        "en": "You have only {available} {unit} at {partner}; you asked for {given}.",
        "ja": "{partner}の残高は{available}{unit}です（指定：{given}）。",
    },
    "refusal.not_positive": {
        "en": "The amount must be a positive whole number (you wrote “{given}”).",
        "ja": "数量は1以上の整数で指定してください（入力：「{given}」）。",
    },
    "refusal.not_a_number": {
        "en": "I couldn't read “{given}” as an amount. Please write it like 2000 or 2,000.",
        "ja": "「{given}」を数量として読み取れませんでした。2000や2,000のように入力してください。",
    },
    "refusal.not_whole": {
        "en": "Points and miles are whole numbers; “{given}” isn't one.",
        "ja": "ポイントやマイルは整数です（入力：「{given}」）。",
    },
    "refusal.too_large": {
        "en": "{given} is far more than any account holds; please check the number.",
        "ja": "{given}は大きすぎます。数字をご確認ください。",
    },
    "refusal.missing_amount": {"en": "Please tell me the amount.", "ja": "数量を教えてください。"},
    "refusal.idempotency_key_reused": {
        "en": "That request was already used for something else; nothing was changed.",
        "ja": "このリクエストは別の処理で使用済みのため、何も変更していません。",
    },
    "refusal.flight_in_future": {
        "en": "{flown_on} is after today ({today}); I log flights once they are flown.",
        "ja": "{flown_on}は今日（{today}）より後の日付です。搭乗後に記録してください。",
    },
    "refusal.flight_too_old": {
        "en": "{flown_on} is before today's premium-point rules (2008); I can't count it.",
        "ja": "{flown_on}は現在のPP制度（2008年〜）より前のため計算できません。",
    },
    "refusal.pp_out_of_range": {
        "en": "{given} PP is not possible for one flight (at most {maximum}); please check the number.",
        "ja": "1回の搭乗で{given} PPはありえません（最大{maximum}）。数字をご確認ください。",
    },
    "refusal.bad_date": {
        "en": "I couldn't read “{given}” as a date. Please write it like 2016-06-08.",
        "ja": "「{given}」を日付として読み取れませんでした。2016年6月8日のように入力してください。",
    },
    "refusal.unknown_tier": {
        "en": "I don't know the status “{given}”. ANA's are Bronze, Platinum and Diamond.",
        "ja": "「{given}」というステータスはありません。ブロンズ・プラチナ・ダイヤモンドのいずれかです。",
    },
    "refusal.sandbox_off": {"en": "That only works in sandbox mode.", "ja": "サンドボックスモードでのみ使えます。"},
    # the exchange saga (ledger/exchanges.py)
    "refusal.exchange_pending": {
        "en": "{partner} hasn't confirmed yet, so your exchange of {from_amount} {unit} is in progress. I'll finish "
              "it — it will never happen twice — and your {to_amount} points will appear once {partner} answers.",
        "ja": "{partner}からの応答が遅れているため、{from_amount}{unit}の交換は処理中です。確認でき次第、完了させます"
              "（二重に交換されることはありません）。{to_amount}ポイントはその時点で反映されます。",
    },
    "refusal.partner_unavailable": {
        "en": "The partner program isn't answering right now, so nothing was exchanged. Please try again in a few minutes.",
        "ja": "提携先が応答しないため、交換していません。数分後にもう一度お試しください。",
    },
    "refusal.partner_refused": {
        "en": "{partner} declined the exchange, so nothing was exchanged.",
        "ja": "{partner}が交換を受け付けなかったため、交換していません。",
    },
    "refusal.exchange_reversed": {
        "en": "{partner} took the {from_amount} {unit}, but I could not add your points, so {partner} was asked to give "
              "them back. Nothing was exchanged.",
        "ja": "{partner}の{from_amount}{unit}は引き落とされましたが、ポイントを加算できなかったため、{partner}に返還を"
              "依頼しました。交換は行われていません。",
    },
    "refusal.exchange_expired": {
        "en": "{partner} never confirmed that exchange, so it was cancelled; nothing was exchanged. You can start a new one.",
        "ja": "{partner}から確認が取れなかったため、この交換は取り消しました。交換は行われていません。改めてお申し込みください。",
    },
    # notices (通知), sent unprompted by the dispatcher
    "notice.reserved_move_soon": {
        "en": "Reminder: {amount} reserved points (credited {credited_on}) will move to {municipality} on {moves_on} "
              "unless you move them somewhere else first. Say “move my reserved points” to choose.",
        "ja": "お知らせ：{credited_on}に受け取った留保ポイント{amount}は、{moves_on}に{municipality}へ自動で移ります。"
              "ほかの自治体やイベントに移す場合は「留保ポイントを移したい」とお送りください。",
    },
    "notice.reserved_moved": {
        "en": "{amount} reserved points (credited {credited_on}) moved to {municipality} today: they were not moved "
              "within 14 days, so they went to your home municipality.",
        "ja": "{credited_on}に受け取った留保ポイント{amount}は、14日以内に移されなかったため、基本自治体の{municipality}へ移りました。",
    },
    "notice.reserved_needs_home": {
        "en": "{amount} reserved points (credited {credited_on}) are due to move to your home municipality on "
              "{moves_on}, but you have none set. Say “my home municipality is …” or move them yourself.",
        "ja": "{credited_on}に受け取った留保ポイント{amount}は{moves_on}に基本自治体へ移る予定ですが、基本自治体が未設定です。"
              "「基本自治体は○○市」とお送りいただくか、ご自身で移してください。",
    },
    "notice.exchange_done": {
        "en": "Your exchange is complete: {from_amount} {unit} from {partner} → {to_amount} points. Sorry it took a while.",
        "ja": "お待たせしました。{partner}{from_amount}{unit}の交換が完了し、{to_amount}ポイントが加算されました。",
    },
    "notice.exchange_failed": {
        "en": "Your exchange of {from_amount} {unit} from {partner} could not be completed, so nothing was exchanged: "
              "your {unit} stay with {partner}. You can try again.",
        "ja": "{partner}{from_amount}{unit}の交換は完了できなかったため、交換は行われていません（{unit}は{partner}に"
              "残っています）。改めてお申し込みいただけます。",
    },
    "campaign_ended": {"en": " (the campaign ended on {on})", "ja": "（キャンペーンは{on}に終了しました）"},
    "coupon_attempts_left": {
        "en": " {n} more wrong codes and redeeming pauses for {minutes} minutes.",
        "ja": "あと{n}回間違えると{minutes}分間クーポン登録が停止されます。",
    },
    "refusal.unknown_municipality": {
        "en": "I don't know the municipality “{given}”. Tell me its prefecture and I'll list the ones I know there.",
        "ja": "「{given}」という自治体は見つかりません。都道府県を教えていただければ、その自治体を一覧します。",
    },
    "refusal.unknown_prefecture": {
        "en": "I don't know the prefecture “{given}”, or no municipality there issues points on the MyKey Platform.",
        "ja": "「{given}」という都道府県が見つからないか、マイキープラットフォームで自治体ポイントを発行している自治体がありません。",
    },
    "refusal.no_campaign": {
        "en": "No {partner} campaign goes straight to {municipality} on {on}{ended}. You can convert to reserved points "
              "at the normal rate ({unit_size} → {reserved_per_unit} per unit) and then move them to {municipality}.",
        "ja": "{on}時点で{partner}から{municipality}へ直接交換できるキャンペーンはありません{ended}。通常レート"
              "（1口{unit_size}→{reserved_per_unit}）で留保ポイントに交換してから{municipality}へ移すことができます。",
    },
    "refusal.unknown_event": {
        "en": "I don't know the support event “{given}”.",
        "ja": "「{given}」という特定支援イベントは見つかりません。",
    },
    "refusal.event_closed": {
        "en": "{event} takes points only from {valid_from} to {valid_until}; it is closed on {on}.",
        "ja": "{event}は{valid_from}〜{valid_until}の期間のみ受け付けています（{on}は対象外です）。",
    },
    "refusal.nothing_reserved": {
        "en": "You have no reserved points to move.",
        "ja": "移せる留保ポイントがありません。",
    },
    "refusal.not_enough_reserved": {
        "en": "You have {available} reserved points; you asked to move {given}.",
        "ja": "留保ポイントは{available}です（指定：{given}）。",
    },
    "refusal.link_partner_no_coupon": {
        "en": "{partner} doesn't issue coupon codes: it converts through ID linkage.",
        "ja": "{partner}はクーポンコードを発行しません（ID連携で交換します）。",
    },
    "refusal.coupon_malformed": {
        "en": "“{given}” doesn't look like a coupon code. Codes look like PON-7K3M-9QXD-4.",
        "ja": "「{given}」はクーポンコードの形式ではありません。PON-7K3M-9QXD-4 のような形式です。",
    },
    "refusal.coupon_check_digit": {
        "en": "{code} has a typo: its last character doesn't match. Please check the code and type it again.",
        "ja": "{code}は入力ミスがあるようです（最後の確認文字が一致しません）。コードをご確認のうえ、もう一度入力してください。",
    },
    "refusal.coupon_unknown": {
        "en": "No coupon {code} exists. Please check the code.{attempts_left}",
        "ja": "クーポン{code}は存在しません。コードをご確認ください。{attempts_left}",
    },
    "refusal.coupon_expired": {
        "en": "Coupon {code} expired on {expired_on}.",
        "ja": "クーポン{code}は{expired_on}に有効期限が切れています。",
    },
    "refusal.coupon_used": {
        "en": "Coupon {code} has already been redeemed.",
        "ja": "クーポン{code}は使用済みです。",
    },
    "refusal.coupon_locked": {
        "en": "Too many wrong coupon codes. To keep codes safe from guessing, redeeming is paused for you "
              "until {until} (about {minutes} minutes).",
        "ja": "誤ったクーポンコードが続いたため、推測による不正利用を防ぐためにクーポン登録を{until}まで"
              "（約{minutes}分）停止しています。",
    },
}


def notice_text(notice: dict, locale: str, municipality_name, partner_names=None) -> str:
    """A notice from the outbox in the user's language; `municipality_name(id, locale)` names places,
    `partner_names(id, locale)` gives a partner's (name, unit)."""
    values = {k: v for k, v in notice.items() if k in ("amount", "from_amount", "to_amount")}
    values["municipality"] = municipality_name(notice.get("municipality"), locale) if notice.get("municipality") else "—"
    if notice.get("partner"):
        values["partner"], values["unit"] = (partner_names(notice["partner"], locale) if partner_names
                                             else (notice["partner"], ""))
    for key in ("credited_on", "moves_on"):
        values[key] = fmt_date(notice.get(key), locale)
    return t(f"notice.{notice['kind']}", locale, **values)


def t(key: str, locale: str, **values) -> str:
    entry = CATALOG[key]
    template = entry.get(locale) or entry["en"]
    shown = {k: (fmt_int(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in values.items()}
    return template.format(**shown)
