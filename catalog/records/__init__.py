"""The session record (issue 17): minutes, feedback and replies as ledger rows, the five
haves computed from the ledger, and the counting rules of open viewing.

``from catalog import records`` gives the parts pages and the CLI use."""

from catalog.records.counting import Play, counted_seconds
from catalog.records.entries import SessionRecords, current
from catalog.records.five_haves import HAVES, Have, five_haves, session_playbacks
from catalog.records.projection import RecordsCheck, project
from catalog.records.rows import FEEDBACK, KINDS, MINUTES, PHOTO, REPLY

__all__ = ["FEEDBACK", "HAVES", "KINDS", "MINUTES", "PHOTO", "REPLY", "Have", "Play",
           "RecordsCheck", "SessionRecords", "counted_seconds", "current", "five_haves",
           "project", "session_playbacks"]
