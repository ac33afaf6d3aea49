"""Reconciling the exchanges (照合): the saga's rows, the journal and the partner's debits must agree.

For every exchange: `done` has exactly its credit in the journal and a debit at the partner; `failed` has no
credit and nothing kept at the partner; `reversed` has no credit and its debit refunded; `pending` and
`debited` are unfinished (recovery's to finish), not differences. Beyond the exchanges: a conversion credited
without an exchange, a sandbox-partner debit no exchange asked for, or an account below zero is a difference.
`pointsbot ledger reconcile` prints them; the fault tests require none.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ledger.points.exchanges import DEBITED, DONE, FAILED, REVERSED, UNFINISHED, quote_from_json
from ledger.points.partners import DEBITED as PARTNER_DEBITED
from ledger.points.partners import NOT_FOUND as PARTNER_NOTHING
from ledger.points.partners import REFUNDED as PARTNER_REFUNDED
from ledger.points.partners import PartnerGateway, PartnerUnavailable, SandboxPartnerGateway
from ledger.shared.checks import checked
from ledger.storage.unit_of_work import UnitOfWork, reads_only

# what the partner must say of an exchange's key in each settled state
EXPECTED_AT_PARTNER = {DONE: {PARTNER_DEBITED}, FAILED: {PARTNER_NOTHING, PARTNER_REFUNDED},
                       REVERSED: {PARTNER_REFUNDED}}


@dataclass(frozen=True)
class Difference:
    kind: str          # credit_missing, credit_unexpected, credit_wrong, partner_disagrees, debit_without_exchange, …
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.detail}"


@dataclass(frozen=True)
class Reconciliation:
    exchanges: int
    unfinished: int
    unchecked: int                       # settled exchanges the partner could not be asked about just now
    differences: tuple[Difference, ...] = field(default=())

    def facts(self) -> dict:
        return {"kind": "reconciliation", "exchanges": self.exchanges, "unfinished": self.unfinished,
                "unchecked": self.unchecked, "differences": [vars(d) for d in self.differences]}


def _journal_credits(txn) -> list[tuple[str, int]]:
    return sorted((e.account, int(e.amount)) for e in txn.entries)


@checked
@reads_only
def reconcile(*, uow: UnitOfWork, gateway: PartnerGateway) -> Reconciliation:
    """Compare the exchanges, the journal and the partner's debits; every difference found."""
    differences: list[Difference] = []
    unfinished = unchecked = 0
    with uow:
        rows = uow.exchanges.all()
        keys = {row.idempotency_key for row in rows}
        credits = {txn.idempotency_key: txn for txn in uow.journal.of_kind("conversion")}
        for row in rows:
            key, state = row.idempotency_key, row.state
            if state in UNFINISHED:
                unfinished += 1
                if state == DEBITED and key in credits:
                    differences.append(Difference("credit_unexpected", key, "credited while still marked debited"))
                continue
            quote = quote_from_json(row.quote)
            credit = credits.get(key)
            if state == DONE:
                if credit is None:
                    differences.append(Difference("credit_missing", key, "done without its journal credit"))
                elif credit.user_id != row.user_id or not (
                        _journal_credits(credit) == sorted(quote.entries()) == [(row.destination, row.to_amount)]):
                    differences.append(Difference("credit_wrong", key, f"journal {_journal_credits(credit)}, quote "
                                                                       f"{quote.entries()}, exchange "
                                                                       f"{[(row.destination, row.to_amount)]}"))
            elif credit is not None:
                differences.append(Difference("credit_unexpected", key, f"{state} but credited in the journal"))
            try:
                at_partner = gateway.debit_status(uow, key)
            except PartnerUnavailable:
                unchecked += 1
                continue
            if at_partner not in EXPECTED_AT_PARTNER[state]:
                differences.append(Difference("partner_disagrees", key, f"{state} here, {at_partner} at the partner"))
            elif state == DONE and isinstance(gateway, SandboxPartnerGateway):
                debited = uow.sandbox.entry(key)
                wallet = uow.sandbox.entry(f"{key}:wallet")
                amounts = (-(debited.amount if debited else 0), -(wallet.amount if wallet else 0))
                if amounts != (row.points, row.wallet_used):
                    differences.append(Difference("partner_disagrees", key, f"debited {amounts}, "
                                                                            f"exchange says {(row.points, row.wallet_used)}"))
        for key, txn in credits.items():
            if key not in keys:
                differences.append(Difference("credit_without_exchange", key, json.loads(txn.details).get("partner", "")))
        if isinstance(gateway, SandboxPartnerGateway):
            for entry in uow.sandbox.keyed_entries():
                base = entry.idempotency_key.removesuffix(":wallet").removesuffix(":refund")
                if entry.amount and base not in keys:
                    differences.append(Difference("debit_without_exchange", entry.idempotency_key,
                                                  f"{entry.amount} at {entry.partner} for {entry.user_id}"))
        for user, account, total in uow.journal.negative_balances():
            differences.append(Difference("negative_balance", f"{user}/{account}", str(total)))
    return Reconciliation(exchanges=len(rows), unfinished=unfinished, unchecked=unchecked,
                          differences=tuple(differences))
