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
              "• Link or unlink a partner account, and show the linkage status: “link my JAL account”, "
              "“which accounts are linked”\n• Redeem a coupon code: “redeem coupon PON-7K3M-9QXD-4”\n"
              "• Move reserved points to a municipality or a support event: “move my reserved points to Kasama”\n"
              "• Set your home municipality: “set my home municipality to Kasama”\n"
              "• Find the best use of your points: “what is the best way to use my 10,000 Saison points”\n"
              "• Show balances and history: “balance”, “history”\n"
              "• Log a flight by PP or by route and fare: “flew NH123 on June 8, 1,342 PP”, “I flew HND to OKA "
              "on Standard yesterday”; “show my flights”, “delete my flight on June 8”, “change the June 8 flight "
              "to 1,500 PP”\n"
              "• Status questions: “when does my bronze status start”, “what is my status now”, “when does my "
              "platinum end”, “how many PP to platinum”, “what if I fly HND-OKA Standard on 12/10”, "
              "“HND-OKA Simple 23,000 yen or Standard 30,000 yen, which is cheaper per PP?”, “when can I apply "
              "for SFC”\nSay “cancel” at any time to stop.",
        "ja": "できること：\n• 提携ポイントを留保ポイントに交換：「JALの2000マイルを交換したい」\n"
              "• ID連携と解除、連携状況の確認：「JALのIDを連携して」「連携状況」\n"
              "• クーポンコードの登録：「クーポンPON-7K3M-9QXD-4を使いたい」\n"
              "• 留保ポイントを自治体や特定支援イベントへ移行：「留保ポイントを笠間市に移したい」\n"
              "• 基本自治体の設定：「基本自治体を笠間市にして」\n"
              "• 一番お得な使い道：「セゾン1万ポイントの一番お得な使い道は？」\n"
              "• 残高と履歴の表示：「残高」「履歴」\n"
              "• 搭乗の記録（PPか路線と運賃で）：「6/8に羽田-那覇をスタンダードで搭乗」「6/8にNH123に搭乗、1342PP」、"
              "「今年の搭乗履歴」「6/8のフライトを削除」「6/8のフライトを1500PPに修正」\n"
              "• ステータスの質問：「ブロンズはいつから？」「今のステータスは？」「プラチナはいつまで？」"
              "「プラチナまであと何PP？」「12/10に羽田-那覇をスタンダードで飛んだら？」"
              "「羽田-那覇、シンプル23,000円とスタンダード30,000円ならPP単価はどっちが安い？」「SFCはいつから申し込める？」\n"
              "途中でやめるときは「キャンセル」と言ってください。",
    },
    "goodbye": {"en": "Goodbye! Your points are safe with me.", "ja": "ご利用ありがとうございました。"},
    "fallback": {
        "en": "Sorry, I didn't understand that. I can convert points (“convert 2000 JAL miles”), link accounts, "
              "redeem coupons, move reserved points, show your balance and history, log flights and answer status "
              "questions (“how many PP to platinum”). Say “help” for more.",
        "ja": "すみません、よく分かりませんでした。ポイント交換（「JALの2000マイルを交換したい」）、ID連携、クーポン登録、"
              "留保ポイントの移行、残高・履歴、搭乗記録、ステータスの質問（「プラチナまであと何PP？」）にお答えできます。「ヘルプ」で一覧を表示します。",
    },
    "cancelled": {"en": "Cancelled. Nothing was changed.", "ja": "キャンセルしました。何も変更していません。"},
    # a new request while a form was still asking: that form is left ({task} is one of task.<form> below)
    "form_left": {"en": "OK, I've stopped {task} — nothing was changed.",
                  "ja": "{task}はここでやめました（何も変更していません）。"},
    "task.conversion_form": {"en": "the conversion", "ja": "ポイント交換"},
    "task.flight_form": {"en": "logging the flight", "ja": "搭乗の記録"},
    "task.link_form": {"en": "the ID linkage", "ja": "ID連携"},
    "task.unlink_form": {"en": "the unlinking", "ja": "連携の解除"},
    "task.coupon_form": {"en": "the coupon", "ja": "クーポンの登録"},
    "task.move_form": {"en": "moving reserved points", "ja": "留保ポイントの移行"},
    "task.home_form": {"en": "setting the home municipality", "ja": "基本自治体の設定"},
    "task.route_form": {"en": "the route advice", "ja": "使い道の比較"},
    "task.edit_flight_form": {"en": "changing the flight", "ja": "搭乗記録の修正"},
    "task.delete_flight_form": {"en": "deleting the flight", "ja": "搭乗記録の削除"},
    "move_reserved_button": {"en": "Move reserved points ({n})", "ja": "留保ポイントを移す（{n}）"},
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
        "en": "Note: unverified rate — no source I have confirms it ({source}).",
        "ja": "ご注意：未確認のレートです。確認できた出典がありません（{source}）。",
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
        "en": "How many premium points (PP) did that flight earn? Or tell me the route and fare (e.g. HND-OKA "
              "Standard) and I will compute them.",
        "ja": "そのフライトで獲得したプレミアムポイント（PP）はいくつですか？路線と運賃（例：羽田-那覇 スタンダード）"
              "を教えていただければ計算します。",
    },
    "ask_fare": {
        "en": "Which fare was it for {origin}→{destination}? (e.g. Flex, Standard, Simple)",
        "ja": "{origin}→{destination}の運賃は何でしたか？（例：フレックス、スタンダード、シンプル）",
    },
    "flight_line": {"en": "• {flight}", "ja": "• {flight}"},
    "flight_pp_why": {
        "en": "PP: {miles} segment miles × {rate}% (fare) × {multiplier} (route) + {boarding} boarding points = {pp} "
              "(rounded down).",
        "ja": "PP：区間基本マイレージ{miles} × 積算率{rate}% × 路線倍率{multiplier} + 搭乗ポイント{boarding} = {pp}"
              "（端数切り捨て）。",
    },
    "flight_pp_unverified": {
        "en": "These figures come from a table I could not verify against ANA; check the PP on ANA's site.",
        "ja": "この計算には未確認の表を使っています。ANAのサイトでPPをご確認ください。",
    },
    "pp_n": {"en": "{pp} PP", "ja": "{pp} PP"},
    "partner_mark": {"en": "(partner)", "ja": "（提携便）"},
    "hint_to_go": {"en": "{missing} PP to {tier}.", "ja": "{tier}まであと{missing} PPです。"},
    "hint_reached": {"en": "{tier} reached: it starts {start}.", "ja": "{tier}達成：{start}から開始です。"},
    "flights_title": {
        "en": "Your flights in {year} ({n}, {pp} PP in total):",
        "ja": "{year}年の搭乗記録（{n}件、合計{pp} PP）：",
    },
    "flights_none": {"en": "No flights logged in {year} yet.", "ja": "{year}年の搭乗記録はまだありません。"},
    "ask_which_flight": {
        "en": "Which flight? Tap one, or tell me its date or flight number.",
        "ja": "どの搭乗ですか？ボタンを押すか、搭乗日か便名を教えてください。",
    },
    "ask_which_flight_of": {
        "en": "{n} flights match. Which one?",
        "ja": "該当する搭乗が{n}件あります。どれですか？",
    },
    "flight_not_found_for": {
        "en": "I found no logged flight for “{said}”.",
        "ja": "「{said}」に該当する搭乗記録が見つかりませんでした。",
    },
    "ask_flight_change": {
        "en": "What should I change: the PP (e.g. 1,500 PP) or the fare (e.g. Simple)?",
        "ja": "何を修正しますか？PP（例：1500PP）か運賃（例：シンプル）を教えてください。",
    },
    "confirm_delete_flight": {
        "en": "Delete this flight: {flight}? Its PP will no longer count.",
        "ja": "この搭乗記録を削除しますか？ {flight}（このPPは集計から外れます）",
    },
    "confirm_edit_flight": {
        "en": "Change {flight} to {after}?",
        "ja": "{flight} を {after} に修正しますか？",
    },
    "yes_delete": {"en": "Yes, delete", "ja": "はい、削除する"},
    "yes_change": {"en": "Yes, change", "ja": "はい、修正する"},
    "flight_unchanged": {"en": "OK, I changed nothing.", "ja": "何も変更していません。"},
    "flight_deleted": {
        "en": "Deleted: {flight}. Your {year} total is now {year_pp} PP.",
        "ja": "削除しました：{flight}。{year}年の合計は{year_pp} PPです。",
    },
    "flight_edited": {
        "en": "Changed: {flight} → {after}. Your {year} total is now {year_pp} PP.",
        "ja": "修正しました：{flight} → {after}。{year}年の合計は{year_pp} PPです。",
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
    # status questions (actions/status.py)
    "now_title": {"en": "Your status today ({today}):", "ja": "本日（{today}）のステータス："},
    "now_held_advance": {
        "en": "• {tier}, from {since} as advance service (事前サービス) for PP earned in {earned}; the main status "
              "follows from {main_from} and runs until {until}.",
        "ja": "• {tier}：{earned}年の獲得PPによる事前サービスとして{since}から。本ステータスは{main_from}から{until}までです。",
    },
    "now_held_main": {
        "en": "• {tier} (main status for PP earned in {earned}), from {since} until {until}.",
        "ja": "• {tier}（{earned}年の獲得PPによる本ステータス）：{since}〜{until}。",
    },
    "now_none": {
        "en": "• No premium status: your PP so far are not enough for Bronze.",
        "ja": "• プレミアムステータスはありません（ブロンズに届くPPがまだありません）。",
    },
    "now_credited_today": {
        "en": "• {tier}: the PP that reach it were credited on {credited}, but the status only shows from the day "
              "after crediting: {start}.",
        "ja": "• {tier}：達成分のPPは{credited}に積算済みですが、ステータスの反映は積算の翌日、{start}からです。",
    },
    "now_waiting_april": {
        "en": "• {tier}: reached between January and March, so it starts in April ({start}; ANA's official word is "
              "“mid-April”).",
        "ja": "• {tier}：1〜3月の達成のため、開始は4月です（{start}。ANAの公式表現は「4月中旬」）。",
    },
    "now_partner_window": {
        "en": "• {tier} may already show: a partner airline's PP are credited 3 days to a month after the flight, "
              "so it starts between {start} and {start_by}.",
        "ja": "• {tier}はすでに反映されている可能性があります。提携航空会社便のPPは搭乗の3日後〜1か月後に積算されるため、"
              "開始は{start}〜{start_by}の間です。",
    },
    "now_pp": {
        "en": "PP credited in {year} so far: {pp} ({group_pp} on ANA-group flights).",
        "ja": "{year}年の積算済みPP：{pp}（うちANAグループ便{group_pp}）。",
    },
    "end_until": {"en": "Your {tier} runs until {until}.", "ja": "{tier}の有効期限は{until}です。"},
    "end_ended": {"en": "Your {tier} ended on {until}.", "ja": "{tier}は{until}で終了しました。"},
    "end_why": {
        "en": "Why: it was earned with PP of {earned}; the main status runs from {main_from} to March 31 of the "
              "year after ({until}). Reaching it again this year extends it by another year.",
        "ja": "理由：{earned}年のPPで獲得したため、本ステータスは{main_from}から翌年3月31日（{until}）までです。"
              "今年も達成すれば、さらに1年延びます。",
    },
    "end_replaced": {
        "en": "From {start} your {higher} replaces {tier} (a higher tier reached later takes over).",
        "ja": "{start}からは上位の{higher}に切り替わります（後から達成した上位ステータスが優先されます）。",
    },
    "end_not_held": {
        "en": "You do not hold {tier} in the years that count; in {year} you need {missing} more PP for it.",
        "ja": "{tier}は現在対象となる年に獲得していません。{year}年はあと{missing} PPで達成です。",
    },
    "to_go": {
        "en": "{missing} PP to {tier} in {year}: you have {pp} PP ({group_pp} on ANA-group flights); {tier} needs "
              "{need}, {need_group} of them on ANA-group flights.",
        "ja": "{year}年の{tier}まであと{missing} PPです。現在{pp} PP（うちANAグループ便{group_pp}）、{tier}には{need} PP"
              "（うちANAグループ便{need_group}）が必要です。",
    },
    "to_go_group_short": {
        "en": "All {group_missing} of them must be on ANA-group flights (partner PP count toward the total only).",
        "ja": "このうち{group_missing} PPはANAグループ便で必要です（提携航空会社便のPPは合計にのみ数えられます）。",
    },
    "to_go_partner_may": {
        "en": "Up to {partner} of them may come from partner airlines; {group_missing} must be on ANA-group flights.",
        "ja": "このうち最大{partner} PPは提携航空会社便でも構いません。ANAグループ便で必要なのは{group_missing} PPです。",
    },
    "to_go_reached": {
        "en": "You have already reached {tier} in {year} ({pp} PP, {group_pp} on ANA-group flights): it starts {start}.",
        "ja": "{year}年の{tier}はすでに達成しています（{pp} PP、うちANAグループ便{group_pp}）。開始は{start}です。",
    },
    "what_if_title": {"en": "If you fly {flights}:", "ja": "{flights}に搭乗した場合："},
    "what_if_leg": {"en": "{origin}→{destination} ({fare}, {pp} PP) on {day}",
                    "ja": "{day} {origin}→{destination}（{fare}、{pp} PP）"},
    "what_if_pp": {"en": "a flight of {pp} PP on {day}", "ja": "{day}に{pp} PPのフライト"},
    "what_if_total": {
        "en": "• +{added} PP → {pp} PP in {year} ({group_pp} on ANA-group flights).",
        "ja": "• +{added} PP → {year}年の合計{pp} PP（うちANAグループ便{group_pp}）。",
    },
    "what_if_reached": {
        "en": "• {tier} would start on {start} (PP credited {credited}, the status from the day after); main status "
              "{main_from} – {main_until}.",
        "ja": "• {tier}は{start}から開始します（PP積算{credited}、その翌日から反映）。本ステータスは{main_from}〜{main_until}。",
    },
    "what_if_earlier": {"en": "• Without these flights it would start on {before}.",
                        "ja": "• これらの搭乗がなければ開始は{before}です。"},
    "what_if_already": {"en": "• You reach {tier} with your logged flights already; these do not change the date.",
                        "ja": "• {tier}は記録済みの搭乗で達成済みのため、開始日は変わりません。"},
    "what_if_short": {
        "en": "• Still {missing} PP short of {tier} ({group_missing} of them needed on ANA-group flights).",
        "ja": "• それでも{tier}まであと{missing} PP（うちANAグループ便で{group_missing} PP）足りません。",
    },
    "what_if_ask": {
        "en": "Tell me the flight to try: route and fare with a date (e.g. “HND-OKA Standard on 12/10”), or the PP "
              "(e.g. “5,000 PP on December 10”).",
        "ja": "試算する搭乗を教えてください。路線と運賃と日付（例：「12/10に羽田-那覇をスタンダード」）か、"
              "PP（例：「12月10日に5000PP」）でどうぞ。",
    },
    "cheapest_title": {"en": "Cheapest per PP: {best}.", "ja": "PP単価が最も安いのは{best}です。"},
    "cheapest_row": {"en": "{n}. {label}: {pp} PP for {yen} yen — {per} yen per PP",
                     "ja": "{n}. {label}：{yen}円で{pp} PP — 1 PPあたり{per}円"},
    "cheapest_option": {"en": "option {n}", "ja": "候補{n}"},
    "cheapest_ask": {
        "en": "Give me each fare with its price, e.g. “HND-OKA Simple 23,000 yen or Standard 30,000 yen”, or PP with "
              "prices, e.g. “1,774 PP for 30,000 yen or 1,100 PP for 23,000 yen”.",
        "ja": "運賃ごとに価格を教えてください。例：「羽田-那覇 シンプル23,000円とスタンダード30,000円」、"
              "または「1774PPで30,000円と1100PPで23,000円」。",
    },
    "sfc_now": {
        "en": "You can apply for the SFC (Super Flyers Card) now: you hold {tier} from {since} until {until}. "
              "Apply for an SFC credit card while the status lasts.",
        "ja": "SFC（スーパーフライヤーズカード）は今すぐ申し込めます。{tier}を{since}から{until}まで保有しています。"
              "ステータスがある間にSFCのクレジットカードを申し込んでください。",
    },
    "sfc_from": {
        "en": "You can apply for the SFC from {start}, when your {tier} starts (advance service counts).",
        "ja": "SFCは{tier}が始まる{start}から申し込めます（事前サービス期間中も可）。",
    },
    "sfc_from_window": {
        "en": "You can apply for the SFC once your {tier} shows: between {start} and {start_by}, because a partner "
              "airline's PP are credited 3 days to a month after the flight.",
        "ja": "SFCは{tier}が反映されてから申し込めます。提携航空会社便のPPは搭乗の3日後〜1か月後に積算されるため、"
              "{start}〜{start_by}の間です。",
    },
    "sfc_not_yet": {
        "en": "The SFC needs {tier} or higher. You have {pp} PP in {year}: {missing} PP to go "
              "({group_missing} of them on ANA-group flights).",
        "ja": "SFCの申込には{tier}以上が必要です。{year}年は{pp} PP、あと{missing} PP（うちANAグループ便で{group_missing} PP）です。",
    },
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
    # ID linkage (移行用のサービスID設定), coupons, moves, home municipality, history, route advice, events
    "ask_partner_link": {"en": "Which account do you want to link?", "ja": "どの提携先のIDを連携しますか？"},
    "ask_partner_unlink": {"en": "Which account do you want to unlink?", "ja": "どの提携先の連携を解除しますか？"},
    "ask_partner_route": {
        "en": "Which points or miles do you want to use?",
        "ja": "どのポイント・マイルの使い道を調べますか？",
    },
    "link_requested": {
        "en": "I've asked {partner} to link your MyKey ID (ID linkage). Linkage takes up to a week: "
              "exchanges should work from {active_from}.",
        "ja": "{partner}にマイキーIDとのID連携（移行用のサービスID設定）を申し込みました。有効になるまで最大1週間かかり、"
              "{active_from}から交換できる見込みです。",
    },
    "link_already_active": {
        "en": "Your {partner} ID linkage is already active (since {active_from}); you can exchange now.",
        "ja": "{partner}のID連携はすでに有効です（{active_from}から）。いつでも交換できます。",
    },
    "confirm_unlink": {
        "en": "Unlink {partner} from your MyKey ID? To exchange again later you would have to link it again, "
              "which takes up to a week.",
        "ja": "{partner}とマイキーIDの連携を解除しますか？再び交換するには改めて連携が必要で、最大1週間かかります。",
    },
    "yes_unlink": {"en": "Yes, unlink", "ja": "はい、解除する"},
    "unlinked": {
        "en": "Unlinked: {partner} is no longer linked to your MyKey ID.",
        "ja": "{partner}の連携を解除しました。",
    },
    "not_unlinked": {"en": "OK, {partner} stays linked.", "ja": "{partner}の連携はそのままにしました。"},
    "link_status": {"en": "Your ID linkages:", "ja": "ID連携（移行用のサービスID設定）の状況："},
    "link_status_active": {"en": "• {partner}: linked, active since {active_from}",
                           "ja": "• {partner}：（設定済み）{active_from}から有効"},
    "link_status_pending": {"en": "• {partner}: in progress, active from {active_from}",
                            "ja": "• {partner}：手続き中（{active_from}から有効）"},
    "link_status_not_linked": {"en": "• {partner}: not set", "ja": "• {partner}：未設定"},
    "ask_coupon_code": {
        "en": "Please type the coupon code (it looks like PON-7K3M-9QXD-4).",
        "ja": "クーポンコードを入力してください（PON-7K3M-9QXD-4 のような形式です）。",
    },
    "coupon_redeemed": {
        "en": "Coupon {code} redeemed: {from_amount} {unit} from {partner} → {to_amount} reserved points (留保ポイント).",
        "ja": "クーポン{code}を登録しました：{partner}{from_amount}{unit} → 留保ポイント{to_amount}ポイント。",
    },
    "ask_prefecture": {
        "en": "Which prefecture is the municipality in? (Or pick a support event.)",
        "ja": "移行先の自治体はどの都道府県ですか？（特定支援イベントも選べます）",
    },
    "ask_prefecture_home": {
        "en": "Which prefecture is your home municipality (基本自治体) in?",
        "ja": "基本自治体はどの都道府県ですか？",
    },
    "ask_municipality": {
        "en": "Which municipality in {prefecture}?",
        "ja": "{prefecture}のどの自治体ですか？",
    },
    "municipality_button": {"en": "{name} ({service})", "ja": "{name}（{service}）"},
    "ask_event": {"en": "Which support event (特定支援イベント)?", "ja": "どの特定支援イベントですか？"},
    "no_events_open": {
        "en": "No support event (特定支援イベント) takes points on {on}.",
        "ja": "{on}に受け付けている特定支援イベントはありません。",
    },
    "ask_move_amount": {
        "en": "You have {reserved} reserved points. How many do you want to move to {place}? You can also say “all”.",
        "ja": "留保ポイントは{reserved}ポイントです。{place}にいくつ移しますか？「全部」も指定できます。",
    },
    "all_button": {"en": "All ({n})", "ja": "全部（{n}）"},
    "confirm_move": {
        "en": "Move {amount} reserved points to {place}? Moves are one-way: they can't come back.",
        "ja": "留保ポイント{amount}ポイントを{place}に移しますか？移した後は元に戻せません。",
    },
    "yes_move": {"en": "Yes, move", "ja": "はい、移す"},
    "moved": {
        "en": "Done: {amount} reserved points moved to {place}.",
        "ja": "留保ポイント{amount}ポイントを{place}に移しました。",
    },
    "not_moved": {"en": "OK, I didn't move anything.", "ja": "移行をやめました。何も変更していません。"},
    "home_set": {
        "en": "Your home municipality (基本自治体) is now {place}. Reserved points you don't move within 14 days go there.",
        "ja": "基本自治体を{place}に設定しました。14日以内に移行先を選ばない留保ポイントはここに移ります。",
    },
    "unverified_place": {
        "en": "Note: the point service name of {name} is unverified (no source confirms it).",
        "ja": "ご注意：{name}のポイント名は未確認です（確認できた出典がありません）。",
    },
    "place_reserved": {"en": "reserved points (留保ポイント)", "ja": "留保ポイント"},
    "place_municipal": {"en": "{service} ({name})", "ja": "{service}（{name}）"},
    "history": {"en": "Your latest activity (newest first):", "ja": "最近の取引（新しい順）："},
    "history_empty": {"en": "No activity yet.", "ja": "まだ取引はありません。"},
    "history_conversion": {
        "en": "• {at}: exchanged {from_amount} {unit} from {partner} → {to_amount} to {place}",
        "ja": "• {at}：{partner}{from_amount}{unit}を交換 → {place}{to_amount}",
    },
    "history_coupon": {
        "en": "• {at}: coupon {code} ({partner}) → {to_amount} reserved points",
        "ja": "• {at}：クーポン{code}（{partner}）→ 留保ポイント{to_amount}",
    },
    "history_move": {
        "en": "• {at}: moved {amount} reserved points → {place}",
        "ja": "• {at}：留保ポイント{amount}を移行 → {place}",
    },
    "history_auto_move": {
        "en": "• {at}: {amount} reserved points moved automatically to your home municipality → {place}",
        "ja": "• {at}：留保ポイント{amount}が基本自治体へ自動移行 → {place}",
    },
    "confirm_conversion_municipal": {
        "en": "Converting {from_amount} {unit} from {partner} gives {to_amount} {place} directly, at the campaign rate "
              "{rate_unit} → {rate_per_unit} (until {until}). Conversions are one-way. Go ahead?",
        "ja": "{partner}{from_amount}{unit}を交換すると、キャンペーンレート（{rate_unit}→{rate_per_unit}、{until}まで）で"
              "{place}に直接{to_amount}ポイントが入ります。交換後は元に戻せません。交換しますか？",
    },
    "wallet_first": {
        "en": "{wallet_used} of it comes from your 永久不滅ウォレット first; {points_used} {unit} from your points.",
        "ja": "うち{wallet_used}は永久不滅ウォレットから先に使われ、ポイントからは{points_used}{unit}です。",
    },
    "converted_municipal": {
        "en": "Done: {from_amount} {unit} from {partner} → {to_amount} {place}, at the campaign rate.",
        "ja": "交換しました：{partner}{from_amount}{unit} → {place}{to_amount}ポイント（キャンペーンレート）。",
    },
    "ask_route_amount": {
        "en": "How many {unit} from {partner} do you want to use?",
        "ja": "{partner}をいくつ使いますか？",
    },
    "route_header": {
        "en": "Ways to use {amount} {unit} from {partner} on {on}:",
        "ja": "{on}時点で{partner}{amount}{unit}を使う方法：",
    },
    "route_line": {
        "en": "• {place}: {to_amount} points ({units} × {unit_size} → {per_unit}{until}){remainder}{unverified}",
        "ja": "• {place}：{to_amount}ポイント（{units}口 × {unit_size}→{per_unit}{until}）{remainder}{unverified}",
    },
    "route_until": {"en": ", campaign until {until}", "ja": "、キャンペーンは{until}まで"},
    "route_remainder": {"en": "; {n} {unit} left over", "ja": "、{n}{unit}は端数で残ります"},
    "route_unverified": {"en": " — unverified rate", "ja": "（未確認のレート）"},
    "route_closed": {"en": "• {place}: not available ({why})", "ja": "• {place}：利用できません（{why}）"},
    "why_campaign_ended": {"en": "the campaign ended on {until}", "ja": "キャンペーンは{until}に終了"},
    "why_campaign_not_started": {"en": "the campaign has not started", "ja": "キャンペーン開始前"},
    "why_below_minimum": {"en": "the minimum is {minimum}", "ja": "最低{minimum}から"},
    "route_best": {
        "en": "Best: {place} — {to_amount} points for {used} {unit}.",
        "ja": "おすすめ：{place}（{used}{unit}で{to_amount}ポイント）",
    },
    "route_none": {"en": "No route is open for that amount.", "ja": "この数量で使える交換ルートはありません。"},
    "route_not_linked": {
        "en": "Your {partner} account isn't linked yet: link it first (up to a week).",
        "ja": "{partner}はまだ連携されていません。先にID連携が必要です（最大1週間）。",
    },
    "route_link_pending": {
        "en": "Your {partner} linkage works from {active_from}.",
        "ja": "{partner}の連携は{active_from}から有効です。",
    },
    "route_coupon": {
        "en": "{partner} issues a coupon code for these points; redeem it here once you have it.",
        "ja": "{partner}はクーポンコードを発行します。受け取ったらここで登録してください。",
    },
    "route_held": {"en": "You hold {held} {unit} at {partner}.", "ja": "{partner}の残高は{held}{unit}です。"},
    "events": {"en": "Support events (特定支援イベント) taking points on {on}:", "ja": "{on}に受け付けている特定支援イベント："},
    "event_line": {"en": "• {name} — {municipality}, until {until}", "ja": "• {name}（{municipality}、{until}まで）"},
    "event_button": {"en": "Move points to {name}", "ja": "{name}に移す"},
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
    "refusal.no_flights_logged": {
        "en": "You have no flights logged yet.",
        "ja": "搭乗記録はまだありません。",
    },
    "refusal.fare_needed": {
        "en": "Which fare is it for {origin}–{destination}? (e.g. Flex, Standard, Simple)",
        "ja": "{origin}–{destination}の運賃は何ですか？（例：フレックス、スタンダード、シンプル）",
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
    "refusal.no_flights_given": {
        "en": "Tell me the flights to try (date and PP for each, at most {maximum}).",
        "ja": "試算する搭乗（日付とPP、最大{maximum}件）を教えてください。",
    },
    "refusal.no_fares_given": {
        "en": "Tell me the fares to compare (PP and price in yen for each, at most {maximum}).",
        "ja": "比較する運賃（PPと金額、最大{maximum}件）を教えてください。",
    },
    "refusal.yen_out_of_range": {
        "en": "¥{given} is not a fare I can compare (at most ¥{maximum}); please check the price.",
        "ja": "{given}円は比較できる運賃ではありません（最大{maximum}円）。金額をご確認ください。",
    },
    "refusal.unknown_tier": {
        "en": "I don't know the status “{given}”. ANA's are Bronze, Platinum and Diamond.",
        "ja": "「{given}」というステータスはありません。ブロンズ・プラチナ・ダイヤモンドのいずれかです。",
    },
    "refusal.sandbox_off": {"en": "That only works in sandbox mode.", "ja": "サンドボックスモードでのみ使えます。"},
    # PP computation (ledger/pp.py): ask for what is missing, never guess
    "refusal.unknown_route": {
        "en": "I don't have the segment miles for {origin}–{destination}. Please tell me the PP from your ANA "
              "statement, or that route's segment miles.",
        "ja": "{origin}–{destination}の区間基本マイルが分かりません。ANAの記録にあるPPか、その路線の区間基本マイルを"
              "教えてください。",
    },
    "refusal.unknown_fare": {
        "en": "I don't know the fare “{given}” for that flight. Fares for that date: {known}. Which one was it?",
        "ja": "「{given}」という運賃が分かりません。その搭乗日の運賃：{known_ja}。どの運賃でしたか？",
    },
    "refusal.fare_not_valid_on": {
        "en": "“{fare}” was not a fare for flights on {flown_on}: ANA's fare table changed on {changed_on}. "
              "Which fare did you fly?",
        "ja": "「{fare}」は{flown_on}の搭乗にはない運賃です（運賃表は{changed_on}に変わりました）。"
              "どの運賃で搭乗しましたか？",
    },
    "refusal.fare_not_in_cabin": {
        "en": "The fare {fare} isn't sold in that cabin. Was it economy or first class?",
        "ja": "{fare_ja}はその座席クラスにはありません。エコノミークラスかファーストクラスか教えてください。",
    },
    "refusal.unknown_cabin": {
        "en": "I don't know the cabin “{given}”. ANA's domestic cabins are economy and first class.",
        "ja": "「{given}」という座席クラスが分かりません。ANA国内線はエコノミークラスとファーストクラスです。",
    },
    "refusal.unknown_carrier": {
        "en": "I can compute PP for ANA-group flights and for Star Alliance partner flights only.",
        "ja": "PPを計算できるのはANAグループ便とスターアライアンス提携航空会社便だけです。",
    },
    "refusal.bad_flight_number": {
        "en": "“{given}” doesn't look like a flight number. Please write it like NH123.",
        "ja": "「{given}」は便名として読み取れません。NH123のように入力してください。",
    },
    "refusal.flight_not_found": {
        "en": "I can't find that flight among the flights you have logged. Ask me to list your flights to pick one.",
        "ja": "記録済みの搭乗にその便が見つかりません。搭乗の一覧を表示して選んでください。",
    },
    "refusal.route_unknown": {
        "en": "I don't know that flight's route, so I can't compute PP for the fare “{fare}”. Please tell me the PP "
              "instead, or delete the flight and log it again with the route.",
        "ja": "この搭乗の区間が分からないため、運賃「{fare}」でPPを計算できません。PPを教えていただくか、"
              "搭乗を削除して区間付きで記録し直してください。",
    },
    "refusal.nothing_to_change": {
        "en": "That flight already has those details; nothing was changed.",
        "ja": "その搭乗はすでにその内容で記録されています。変更はありません。",
    },
    "refusal.partner_rate_needed": {
        "en": "For a partner airline's flight, please tell me your fare's accrual rate (e.g. 125%) from ANA's "
              "partner-airline earning chart.",
        "ja": "提携航空会社便は、ANAの提携航空会社マイル積算率表にある運賃の積算率（例：125%）を教えてください。",
    },
    "refusal.bad_partner_rate": {
        "en": "“{given}” is not an accrual rate. Please give a whole percent such as 50, 100 or 125.",
        "ja": "「{given}」は積算率として読み取れません。50、100、125のような整数のパーセントで教えてください。",
    },
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
    "refusal.one_way": {
        "en": "Conversions on the MyKey Platform are one-way: municipal points (自治体ポイント) and reserved points "
              "(留保ポイント) can't go back to miles or partner points. Instead you can use municipal points at "
              "their municipality, and move reserved points, while they are still reserved, to a municipality "
              "or a support event (say “move my reserved points”).",
        "ja": "マイキープラットフォームでの交換は一方向です。自治体ポイントや留保ポイントをマイルや提携先のポイントに"
              "戻すことはできません。自治体ポイントはその自治体でお使いいただけます。留保ポイントのままなら、自治体や"
              "特定支援イベントに移せます（「留保ポイントを移したい」）。",
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
    # the progress picture (bot/chart.py)
    "chart.title": {"en": "Premium Points in {year}", "ja": "{year}年のプレミアムポイント"},
    "chart.x_label": {"en": "Day credited (Asia/Tokyo)", "ja": "積算日（日本時間）"},
    "chart.total": {"en": "All PP", "ja": "PP合計"},
    "chart.ana_group": {"en": "ANA-group PP", "ja": "うちANAグループ便"},
    "chart.threshold": {"en": "{tier} {pp}", "ja": "{tier} {pp}"},
    "chart.today": {"en": "today", "ja": "今日"},
    "chart.reached": {"en": "{tier} from {date}", "ja": "{tier} {date}〜"},
    "chart.caption": {
        "en": "Your Premium Points in {year}: {pp} PP ({group_pp} on ANA-group flights).",
        "ja": "{year}年のプレミアムポイント：{pp} PP（うちANAグループ便 {group_pp}）",
    },
    "chart.caption_next": {
        "en": " {missing} PP to {tier}.",
        "ja": "{tier}まであと{missing} PP。",
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
