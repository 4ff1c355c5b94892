"""A room's history: every story with its rounds and votes, whole or a page at a time.

A page holds PER_PAGE items: the stories in backlog order, then the rounds
played without a story. Each page costs a handful of queries however large
the room is; only the export reads the whole history at once.
"""

import json
import math
from collections import Counter
from collections import defaultdict

import backlog

PER_PAGE = 50

# Rounds without story worth listing: revealed, or with cards played. The
# empty round a new room starts with is left out.
LOOSE_ROUNDS = (
    "SELECT * FROM rounds r WHERE r.room_id = ? AND r.story_id IS NULL"
    " AND (r.revealed = 1 OR EXISTS (SELECT 1 FROM votes v WHERE v.round_id = r.id))"
    " ORDER BY r.number, r.id LIMIT ? OFFSET ?"
)
LOOSE_VOTES = (
    "SELECT v.round_id, v.participant_id, v.value, v.cast_at FROM votes v"
    " JOIN participants p ON p.id = v.participant_id"
    " WHERE v.round_id IN (SELECT r.id FROM rounds r"
    "  WHERE r.room_id = ? AND r.story_id IS NULL AND (r.revealed = 1"
    "  OR EXISTS (SELECT 1 FROM votes w WHERE w.round_id = r.id))"
    "  ORDER BY r.number, r.id LIMIT ? OFFSET ?)"
    " ORDER BY lower(p.name), p.id"
)
STORY_ROUNDS = (
    "SELECT * FROM rounds WHERE story_id IN (SELECT id FROM stories"
    " WHERE room_id = ? ORDER BY position, id LIMIT ? OFFSET ?)"
    " ORDER BY number, id"
)
STORY_VOTES = (
    "SELECT v.round_id, v.participant_id, v.value, v.cast_at FROM votes v"
    " JOIN rounds r ON r.id = v.round_id"
    " JOIN participants p ON p.id = v.participant_id"
    " WHERE r.story_id IN (SELECT id FROM stories"
    "  WHERE room_id = ? ORDER BY position, id LIMIT ? OFFSET ?)"
    " ORDER BY lower(p.name), p.id"
)


def display_names(people):
    """Return {id: name}, telling same-name people apart as the room page does.

    Names that are equal after trimming, case aside, are numbered in the
    order the people joined (by id): "Anna", "Anna (2)".
    """
    seen = Counter()
    names = {}
    for person in sorted(people, key=lambda person: person["id"]):
        key = person["name"].strip().lower()
        seen[key] += 1
        number = seen[key]
        names[person["id"]] = person["name"] + (f" ({number})" if number > 1 else "")
    return names


def history(db, room_id):
    """Return every story with its rounds and, once revealed, each vote.

    Rounds of no story follow as a last entry with `story` None. Cards of
    unrevealed rounds stay hidden here as everywhere; only their number is
    given.
    """
    stories, loose = sizes(db, room_id)
    return entries(db, room_id, 0, max(1, stories + loose), stories)


def history_page(db, room_id, page):
    """Return (entries, page, pages): the room's history on page `page` from 1.

    A page number beyond the last one shows the last page.
    """
    stories, loose = sizes(db, room_id)
    pages = max(1, math.ceil((stories + loose) / PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PER_PAGE
    return entries(db, room_id, start, PER_PAGE, stories), page, pages


def sizes(db, room_id):
    """Return how many stories and how many listed rounds without story there are."""
    stories = backlog.count_stories(db, room_id)
    loose = db.execute(
        "SELECT COUNT(*) FROM rounds r WHERE r.room_id = ? AND r.story_id IS NULL"
        " AND (r.revealed = 1"
        " OR EXISTS (SELECT 1 FROM votes v WHERE v.round_id = r.id))",
        (room_id,),
    ).fetchone()[0]
    return stories, loose


def entries(db, room_id, start, count, story_total):
    """Return `count` items of the history from item `start`.

    Items are the `story_total` stories in backlog order, then the rounds
    without story; those rounds share one entry with `story` None.
    """
    names = participant_names(db, room_id)
    stories = backlog.list_stories(db, room_id, limit=count, offset=start)
    found = []

    if stories:
        window = (room_id, count, start)
        by_story = defaultdict(list)
        for story_id, round_ in round_entries(
            db.execute(STORY_ROUNDS, window), db.execute(STORY_VOTES, window), names
        ):
            by_story[story_id].append(round_)
        found = [story_entry(story, by_story[story["id"]]) for story in stories]

    left = count - len(stories)
    if left > 0:
        window = (room_id, left, max(0, start - story_total))
        loose = round_entries(
            db.execute(LOOSE_ROUNDS, window), db.execute(LOOSE_VOTES, window), names
        )
        if loose:
            found.append(story_entry(None, [round_ for _story, round_ in loose]))
    return found


def story_rounds(db, room_id, story_id):
    """Return one story's rounds, each with its votes once revealed."""
    rounds = db.execute(
        "SELECT * FROM rounds WHERE story_id = ? ORDER BY number, id", (story_id,)
    )
    votes = db.execute(
        "SELECT v.round_id, v.participant_id, v.value, v.cast_at"
        " FROM votes v JOIN rounds r ON r.id = v.round_id"
        " JOIN participants p ON p.id = v.participant_id"
        " WHERE r.story_id = ? ORDER BY lower(p.name), p.id",
        (story_id,),
    )
    names = participant_names(db, room_id)
    return [round_ for _story, round_ in round_entries(rounds, votes, names)]


def participant_names(db, room_id):
    """Return {id: display name} of everyone who ever joined the room."""
    return display_names(
        db.execute("SELECT id, name FROM participants WHERE room_id = ?", (room_id,))
    )


def round_entries(rounds, votes, names):
    """Return (story id, round entry) pairs, each round with its own votes."""
    votes_by_round = defaultdict(list)
    for vote in votes:
        votes_by_round[vote["round_id"]].append(vote)
    return [
        (round_["story_id"], round_entry(round_, votes_by_round[round_["id"]], names))
        for round_ in rounds
    ]


def story_entry(story, rounds):
    return {
        "story": story,
        "rounds": rounds,
        "seconds": sum(round_["seconds"] or 0 for round_ in rounds),
    }


def round_entry(round_, votes, names):
    """Describe one round; `seconds` runs from its first vote to its reveal."""
    result = json.loads(round_["result"]) if round_["revealed"] else {}
    timed = round_["revealed"] and round_["first_vote_at"] is not None
    return {
        "number": round_["number"],
        "started_at": round_["started_at"],
        "revealed": bool(round_["revealed"]),
        "revealed_at": round_["revealed_at"],
        "seconds": round(round_["revealed_at"] - round_["first_vote_at"], 1)
        if timed
        else None,
        "suggestion": result.get("suggestion"),
        "average": result.get("average"),
        "vote_count": len(votes),
        "votes": [
            {
                "name": names[vote["participant_id"]],
                "value": vote["value"],
                "cast_at": vote["cast_at"],
            }
            for vote in votes
        ]
        if round_["revealed"]
        else [],
    }
