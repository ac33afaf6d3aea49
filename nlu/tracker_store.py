"""Rasa's SQL tracker store, reading only the recent part of a long conversation (runs inside Rasa, Python 3.10).

Rasa's own SQL store loads every event of the conversation session on every turn, counts them all again to save,
and the tracker it builds is replayed by the policies and sent whole to every custom action: a turn's cost grows
with the conversation. This store loads at most `recent_events` events (200 by default: about twenty turns, far
more than any rule or form looks back), and in front of them what the session had decided before: each slot's
last value and the form that was active. Nothing is deleted: the table still holds the whole conversation
(`retrieve_full_tracker` reads it all), and new events are appended exactly as Rasa's store does.

endpoints.yml: `tracker_store: {type: nlu.tracker_store.RecentSQLTrackerStore, url: <database URL>}` or `dialect: sqlite`
and `db: <file>` (written by ops/tracker_store.py).
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

import nlu.rasa_speedups  # noqa: F401,E402  (Rasa's per-turn costs that serve nobody, removed)

RECENT_EVENTS = 200
REMEMBERED = 100_000   # conversations whose loaded length this process remembers between retrieve and save
CLEARING = ("restart", "reset_slots")   # events before which no slot value survives


class RecentSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, recent_events: int = RECENT_EVENTS, **kwargs: Any) -> None:
        super().__init__(domain, **kwargs)
        self.recent_events = max(50, int(recent_events))
        self._loaded: "OrderedDict[Text, int]" = OrderedDict()   # sender → events in the tracker as stored

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        # forgotten first: if this read fails (the database restarting), Rasa's fail-safe wrapper hands the turn an
        # empty tracker from memory, and its save must not append that as if it continued the stored one
        self._loaded.pop(sender_id, None)
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            rows = query.order_by(None).order_by(self.SQLEvent.id.desc()).limit(self.recent_events + 1).all()
            if not rows:
                return None
            rows.reverse()
            carried: List[Dict[Text, Any]] = []
            if len(rows) > self.recent_events:   # a long session: its state before the cut, then the recent part
                rows = rows[1:]
                carried = self._state_before(session, sender_id, rows[0].id)
            events = carried + [json.loads(row.data) for row in rows]
        if not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        self._remember(sender_id, len(tracker.events))
        return tracker

    def _state_before(self, session, sender_id: Text, cut: int) -> List[Dict[Text, Any]]:
        """Slot values and the active form as they stood before event `cut`, as events dated when they happened."""
        earlier = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).filter(
            self.SQLEvent.id < cut)
        cleared = earlier.filter(self.SQLEvent.type_name.in_(CLEARING)).order_by(None).order_by(
            self.SQLEvent.id.desc()).first()
        since = earlier.filter(self.SQLEvent.id > cleared.id) if cleared is not None else earlier
        # each slot's last event only: Rasa's store keeps a slot event's slot name in `action_name`
        latest = since.filter(self.SQLEvent.type_name == "slot").order_by(None).with_entities(
            sa.func.max(self.SQLEvent.id)).group_by(self.SQLEvent.action_name)
        slots: Dict[Text, Dict[Text, Any]] = {}
        ids = [row[0] for row in latest.all()]   # as many as the domain has slots
        for row in session.query(self.SQLEvent.data).filter(self.SQLEvent.id.in_(ids)) if ids else ():
            event = json.loads(row.data)
            slots[event.get("name")] = event
        loop = since.filter(self.SQLEvent.type_name == "active_loop").order_by(None).order_by(
            self.SQLEvent.id.desc()).first()
        carried = sorted(slots.values(), key=lambda event: event.get("timestamp") or 0)
        if loop is not None and json.loads(loop.data).get("name"):
            carried.append(json.loads(loop.data))
        return carried

    def _remember(self, sender_id: Text, count: int) -> None:
        self._loaded[sender_id] = count
        self._loaded.move_to_end(sender_id)
        while len(self._loaded) > REMEMBERED:
            self._loaded.popitem(last=False)

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator:
        """The events added since this tracker was loaded (or last saved); Rasa's own count otherwise."""
        loaded = self._loaded.get(tracker.sender_id)
        if loaded is None or loaded > len(tracker.events):
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, loaded, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if tracker.sender_id in self._loaded:   # only a tracker read here; any other was saved by Rasa's count
            self._remember(tracker.sender_id, len(tracker.events))
