"""Every method of the client against a real Engram (ENGRAM_URL, started by scripts/python-client-test.sh)."""

from __future__ import annotations

import time
import traceback
import types
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from engram_client import EngramClient, EngramError

Tag = Callable[[str], str]


def at(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value)


def raises(fn: Callable[[], object]) -> EngramError:
    with pytest.raises(EngramError) as caught:
        fn()
    return caught.value


# --- add, get ------------------------------------------------------------------------------------


def test_add_then_get_round_trips_text_source_and_metadata(alice: EngramClient, tag: Tag) -> None:
    text = tag("Alice adopted a beagle named Rex in March. She walks him every morning.")
    metadata = {"session": "s1", "nested": {"list": [1, 2.5, True, None, "ü"], "deep": {"x": {}}}, "emoji": "🦊"}
    added = alice.add(text, source="chat", metadata=metadata)
    assert added["deduplicated"] is False
    assert added["chunk_count"] == len(added["chunk_ids"]) >= 1
    assert added["expires_at"] is None
    memory = alice.get(added["memory_id"])
    assert memory["memory_id"] == added["memory_id"]
    assert memory["text"] == text
    assert memory["source"] == "chat"
    assert memory["metadata"] == metadata
    assert memory["chunk_ids"] == added["chunk_ids"]
    assert memory["created_at"] == added["created_at"]


def test_add_deduplicates_unless_told_not_to(alice: EngramClient, tag: Tag) -> None:
    text = tag("Alice is learning the cello.")
    first = alice.add(text)
    again = alice.add(text)
    assert again["deduplicated"] is True
    assert again["memory_id"] == first["memory_id"]
    copy = alice.add(text, dedup=False)
    assert copy["deduplicated"] is False
    assert copy["memory_id"] != first["memory_id"]


def test_the_token_subject_is_the_user_when_the_client_names_none(url: str, tokens: dict[str, str], tag: Tag) -> None:
    anonymous = EngramClient(url, tokens["alice"])
    added = anonymous.add(tag("Written without a user id."))
    assert EngramClient(url, tokens["alice"], user_id="alice").get(added["memory_id"])["text"].startswith("Written")


def test_ttl_seconds_expires_within_the_hour(alice: EngramClient, tag: Tag) -> None:
    before = datetime.now(timezone.utc)
    added = alice.add(tag("Alice is at the vet with Rex until 5 pm today."), ttl_seconds=3600)
    expires = at(added["expires_at"])
    assert before + timedelta(seconds=3595) <= expires <= datetime.now(timezone.utc) + timedelta(seconds=3605)
    assert alice.get(added["memory_id"])["expires_at"] == added["expires_at"]


def test_expires_at_takes_a_datetime_or_a_string_and_none_is_never(alice: EngramClient, tag: Tag) -> None:
    when = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    from_datetime = alice.add(tag("Expires in two days (datetime)."), expires_at=when)
    assert at(from_datetime["expires_at"]) == when
    from_string = alice.add(tag("Expires in 2030 (string)."), expires_at="2030-01-01T00:00:00Z")
    assert at(from_string["expires_at"]) == datetime(2030, 1, 1, tzinfo=timezone.utc)
    never = alice.add(tag("Never expires."), expires_at=None)
    assert never["expires_at"] is None


def test_both_expiry_fields_are_refused(alice: EngramClient, tag: Tag) -> None:
    err = raises(lambda: alice.add(tag("Both expiries."), ttl_seconds=60, expires_at="2030-01-01T00:00:00Z"))
    assert (err.status, err.code) == (400, "VALIDATION_FAILED")
    assert err.request_id


def test_an_expired_memory_is_gone(bob: EngramClient, tag: Tag) -> None:
    added = bob.add(tag("Bob is on a one-second call."), ttl_seconds=1)
    time.sleep(1.6)
    err = raises(lambda: bob.get(added["memory_id"]))
    assert (err.status, err.code) == (404, "NOT_FOUND")


def test_service_validation_errors_carry_the_code(alice: EngramClient) -> None:
    err = raises(lambda: alice.add("   "))
    assert (err.status, err.code) == (400, "VALIDATION_FAILED")
    err = raises(lambda: alice.get("not-a-uuid"))
    assert (err.status, err.code) == (400, "VALIDATION_FAILED")


# --- add_batch -----------------------------------------------------------------------------------


def test_add_batch_reports_each_item(alice: EngramClient, tag: Tag) -> None:
    first = tag("Rex is afraid of thunder.")
    later = datetime.now(timezone.utc) + timedelta(days=1)
    answer = alice.add_batch(
        [
            {"text": first, "metadata": {"pet": "Rex"}},
            {"text": tag("Alice plays the cello on Sundays."), "source": "chat", "expires_at": later},
            {"text": ""},
            {"text": first},
        ]
    )
    assert [item["status"] for item in answer["items"]] == [201, 201, 400, 200]
    assert [item["index"] for item in answer["items"]] == [0, 1, 2, 3]
    assert (answer["stored"], answer["deduplicated"], answer["failed"]) == (2, 1, 1)
    assert answer["items"][2]["error"]["code"] == "VALIDATION_FAILED"
    assert answer["items"][3]["memory_id"] == answer["items"][0]["memory_id"]
    assert answer["items"][0]["chunk_count"] == len(answer["items"][0]["chunk_ids"]) == 1
    assert abs(at(answer["items"][1]["expires_at"]) - later) < timedelta(milliseconds=1)
    stored = alice.get(answer["items"][0]["memory_id"])
    assert (stored["text"], stored["metadata"]) == (first, {"pet": "Rex"})


# --- search --------------------------------------------------------------------------------------


@pytest.fixture()
def garden(alice: EngramClient, tag: Tag) -> tuple[str, list[str], list[str]]:
    """Three memories about a garden under one source of their own; their ids and created_at, in order."""
    source = f"garden-{uuid.uuid4().hex[:8]}"
    texts = [
        tag("Alice grows tomatoes and basil in her garden."),
        tag("Alice waters the garden tomatoes every evening."),
        tag("The garden shed holds Alice's tomato stakes."),
    ]
    added = [alice.add(text, source=source, metadata={"topic": "garden", "n": i}) for i, text in enumerate(texts)]
    return source, [a["memory_id"] for a in added], [a["created_at"] for a in added]


def test_search_finds_and_filters(alice: EngramClient, garden: tuple[str, list[str], list[str]]) -> None:
    source, ids, created = garden
    results = alice.search("garden tomatoes", k=10, filters={"source": source})
    assert {r["memory_id"] for r in results} == set(ids)
    for r in results:
        assert r["source"] == source
        assert 0 <= r["relevance"] <= 1
        assert set(r["scores"]) == {"vector", "keyword", "fused", "context", "rerank"}
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)

    assert len(alice.search("garden tomatoes", k=2, filters={"source": source})) == 2

    by_metadata = alice.search("garden tomatoes", filters={"source": source, "metadata": {"n": 1}})
    assert {r["memory_id"] for r in by_metadata} == {ids[1]}
    assert by_metadata[0]["metadata"] == {"topic": "garden", "n": 1}

    # created_after is inclusive, created_before exclusive; a datetime or the service's string.
    after = alice.search("garden tomatoes", filters={"source": source, "created_after": at(created[1])})
    assert {r["memory_id"] for r in after} == {ids[1], ids[2]}
    before = alice.search("garden tomatoes", filters={"source": source, "created_before": created[1]})
    assert {r["memory_id"] for r in before} == {ids[0]}

    assert alice.search("garden tomatoes", filters={"source": "no-such-source"}) == []


def test_search_min_score_and_min_relevance_drop_weaker_results(
    alice: EngramClient, garden: tuple[str, list[str], list[str]]
) -> None:
    source = garden[0]
    everything = alice.search("tomatoes garden evening", filters={"source": source})
    scores = sorted(r["score"] for r in everything)
    assert len(scores) == 3 and scores[0] < scores[-1]
    cut = (scores[0] + scores[-1]) / 2
    kept = alice.search("tomatoes garden evening", filters={"source": source}, min_score=cut)
    assert 1 <= len(kept) < 3
    assert all(r["score"] >= cut for r in kept)

    relevances = sorted(r["relevance"] for r in everything)
    assert alice.search("tomatoes garden evening", filters={"source": source}, min_relevance=0) != []
    if relevances[0] < relevances[-1]:
        cut = (relevances[0] + relevances[-1]) / 2
        kept = alice.search("tomatoes garden evening", filters={"source": source}, min_relevance=cut)
        assert 1 <= len(kept) < 3
        assert all(r["relevance"] >= cut for r in kept)


def test_search_rerank_false_skips_the_reranker(alice: EngramClient, garden: tuple[str, list[str], list[str]]) -> None:
    source = garden[0]
    plain = alice.search("garden tomatoes", filters={"source": source}, rerank=False)
    assert plain and all(r["scores"]["rerank"] is None for r in plain)
    reranked = alice.search("garden tomatoes", filters={"source": source}, rerank=True)
    assert reranked and all(r["scores"]["rerank"] is not None for r in reranked)


def test_search_refuses_a_k_out_of_range(alice: EngramClient) -> None:
    err = raises(lambda: alice.search("anything", k=0))
    assert (err.status, err.code) == (400, "VALIDATION_FAILED")


# --- update --------------------------------------------------------------------------------------


def test_update_changes_only_what_is_given(alice: EngramClient, tag: Tag) -> None:
    added = alice.add(tag("Alice adopted a beagle in March."), source="chat", metadata={"session": "s1"}, ttl_seconds=600)
    memory_id = added["memory_id"]

    new_text = tag("Alice adopted a beagle named Rex in April.")
    changed = alice.update(memory_id, text=new_text)
    assert changed["memory_id"] == memory_id
    assert changed["text"] == new_text
    assert changed["chunk_ids"] != added["chunk_ids"]
    assert changed["created_at"] == added["created_at"]
    assert at(changed["updated_at"]) >= at(added["updated_at"])
    assert (changed["source"], changed["metadata"], changed["expires_at"]) == ("chat", {"session": "s1"}, added["expires_at"])

    changed = alice.update(memory_id, metadata={"session": "s2"})  # replaces, not merged
    assert changed["metadata"] == {"session": "s2"}
    assert (changed["text"], changed["source"]) == (new_text, "chat")

    changed = alice.update(memory_id, source=None, expires_at=None)  # None: clear, never expire
    assert (changed["source"], changed["expires_at"]) == (None, None)
    assert changed["metadata"] == {"session": "s2"}

    changed = alice.update(memory_id, source="notes", ttl_seconds=3600)
    assert changed["source"] == "notes"
    assert at(changed["expires_at"]) > datetime.now(timezone.utc) + timedelta(minutes=59)

    when = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    assert at(alice.update(memory_id, expires_at=when)["expires_at"]) == when

    assert alice.get(memory_id)["text"] == new_text
    # The new text is what search finds.
    assert memory_id in {r["memory_id"] for r in alice.search(new_text, k=5)}


def test_update_with_nothing_to_change_is_refused(alice: EngramClient, tag: Tag) -> None:
    memory_id = alice.add(tag("Nothing will change here."))["memory_id"]
    err = raises(lambda: alice.update(memory_id))
    assert (err.status, err.code) == (400, "VALIDATION_FAILED")


def test_update_to_a_text_the_user_has_is_a_duplicate(alice: EngramClient, tag: Tag) -> None:
    existing = alice.add(tag("Alice's favourite colour is green."))
    other = alice.add(tag("Alice's favourite colour is blue."))
    err = raises(lambda: alice.update(other["memory_id"], text=alice.get(existing["memory_id"])["text"]))
    assert (err.status, err.code) == (409, "DUPLICATE_MEMORY")
    assert err.memory_id == existing["memory_id"]
    assert "blue" in alice.get(other["memory_id"])["text"]


# --- tenants and tokens --------------------------------------------------------------------------


def test_bob_cannot_see_or_touch_alices_memory(alice: EngramClient, bob: EngramClient, tag: Tag) -> None:
    memory_id = alice.add(tag("Alice's PIN hint is her dog's birthday."))["memory_id"]
    for attempt in (
        lambda: bob.get(memory_id),
        lambda: bob.update(memory_id, text="mine now"),
        lambda: bob.delete(memory_id),
    ):
        err = raises(attempt)
        assert (err.status, err.code) == (404, "NOT_FOUND")
    assert alice.get(memory_id)["memory_id"] == memory_id
    err = raises(lambda: bob.get(memory_id, user_id="alice"))
    assert (err.status, err.code) == (403, "CROSS_TENANT")


def test_a_read_only_token_cannot_write(url: str, tokens: dict[str, str], alice: EngramClient, tag: Tag) -> None:
    reader = EngramClient(url, tokens["alice_read"], user_id="alice")
    memory_id = alice.add(tag("Readable by a read-only token."))["memory_id"]
    assert reader.get(memory_id)["memory_id"] == memory_id
    err = raises(lambda: reader.add(tag("Not with a read-only token.")))
    assert (err.status, err.code) == (403, "FORBIDDEN")


def test_a_forged_token_is_refused_and_never_shown(url: str, tokens: dict[str, str]) -> None:
    forged = tokens["forged"]
    client = EngramClient(url, forged, user_id="alice")
    err = raises(lambda: client.search("anything"))
    assert (err.status, err.code) == (401, "UNAUTHENTICATED")
    shown = "".join(traceback.format_exception(err)) + str(err) + repr(err) + repr(client)
    assert forged not in shown
    assert forged.split(".")[2] not in shown  # not even the signature


# --- list, page, get_all, export -----------------------------------------------------------------


def test_page_list_and_get_all_agree(alice: EngramClient, tag: Tag) -> None:
    for i in range(5):
        alice.add(tag(f"Paging memory number {i}, written to fill a few pages with some words."))
    everything = alice.get_all()
    assert len(everything) >= 5
    ids = [m["memory_id"] for m in everything]
    assert len(set(ids)) == len(ids)
    assert [m["created_at"] for m in everything] == sorted((m["created_at"] for m in everything), reverse=True)

    listed = alice.list(page_size=2)
    assert isinstance(listed, types.GeneratorType)
    assert [m["memory_id"] for m in listed] == ids

    first = alice.page(page_size=2)
    assert len(first["memories"]) == 2 and first["next_cursor"]
    second = alice.page(page_size=2, cursor=first["next_cursor"])
    assert [m["memory_id"] for m in first["memories"] + second["memories"]] == ids[:4]

    light = alice.page(page_size=3, include_text=False)
    assert light["memories"] and all("text" not in m for m in light["memories"])
    cut = alice.page(page_size=3, max_text_chars=5)
    assert all(len(m["text"]) <= 5 and m["text_truncated"] is True for m in cut["memories"])
    assert all("text_truncated" not in m for m in alice.page(page_size=3)["memories"])


def test_export_streams_every_memory(alice: EngramClient, tag: Tag) -> None:
    texts = [tag(f"Exported memory {i}: Alice likes rowing on the river.") for i in range(3)]
    added = [alice.add(text, metadata={"i": i})["memory_id"] for i, text in enumerate(texts)]
    exported = alice.export()
    assert isinstance(exported, types.GeneratorType)
    lines = list(exported)
    assert [m["memory_id"] for m in lines] == [m["memory_id"] for m in alice.get_all()]
    by_id = {m["memory_id"]: m for m in lines}
    for i, memory_id in enumerate(added):
        assert by_id[memory_id]["text"] == texts[i]
        assert by_id[memory_id]["metadata"] == {"i": i}
    # Leaving early closes the stream; a new export starts over.
    for memory in alice.export():
        assert memory["memory_id"]
        break
    assert sum(1 for _ in alice.export()) == len(lines)


# --- summarize, entities -------------------------------------------------------------------------


def test_summarize_by_ids_query_and_time_range(alice: EngramClient, tag: Tag) -> None:
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    ids = [
        alice.add(tag(text))["memory_id"]
        for text in (
            "Caroline went to an LGBTQ support group yesterday and it was powerful.",
            "Melanie painted a lake sunrise last year; painting is how she relaxes.",
            "Caroline is researching adoption agencies to start a family.",
        )
    ]
    by_ids = alice.summarize(memory_ids=ids, style="bullets", max_sentences=3)
    assert by_ids["summary"] and by_ids["style"] == "bullets" and by_ids["method"] == "extractive"
    assert 1 <= len(by_ids["sources"]) <= 3
    assert {memory_id for s in by_ids["sources"] for memory_id in s["memory_ids"]} <= set(ids)
    assert by_ids["memory_count"] <= 3

    by_query = alice.summarize(query="what does Melanie do to relax?", k=5, style="tldr")
    assert by_query["style"] == "tldr" and by_query["summary"]

    by_range = alice.summarize(created_after=start, style="timeline")
    assert by_range["sources"] and by_range["memory_count"] >= 1

    err = raises(lambda: alice.summarize(query="both", memory_ids=ids))
    assert (err.status, err.code) == (400, "VALIDATION_FAILED")


def test_entities_from_text_and_from_memories_then_lookup(alice: EngramClient, tag: Tag) -> None:
    text = "Alice: I moved to Lisbon in March 2021. My friend Joanna works at Google."
    found = alice.entities(text)
    assert found["persisted"] is False
    names = {e["name"] for e in found["entities"]}
    assert {"Joanna", "Google", "Lisbon"} <= names
    assert any(r["predicate"] == "work at" and r["memory_id"] is None for r in found["relationships"])

    memory_id = alice.add(tag(text))["memory_id"]
    persisted = alice.entities(memory_ids=[memory_id], persist=True)
    assert persisted["persisted"] is True
    assert any(r["memory_id"] == memory_id for r in persisted["relationships"])

    joanna = alice.entity("joanna's")  # case and possessive are ignored
    assert joanna["entity"]["name"] == "Joanna"
    assert memory_id in {m["memory_id"] for m in joanna["memories"]}

    err = raises(lambda: alice.entity("Zebediah Quillfeather"))
    assert (err.status, err.code) == (404, "NOT_FOUND")


# --- delete, delete_all --------------------------------------------------------------------------


def test_delete_removes_one_memory(alice: EngramClient, tag: Tag) -> None:
    memory_id = alice.add(tag("A memory to delete."))["memory_id"]
    alice.delete(memory_id)
    for attempt in (lambda: alice.get(memory_id), lambda: alice.delete(memory_id)):
        err = raises(attempt)
        assert (err.status, err.code) == (404, "NOT_FOUND")
    assert memory_id not in {m["memory_id"] for m in alice.list()}


def test_delete_all_erases_the_user(bob: EngramClient, alice: EngramClient, tag: Tag) -> None:
    alices = alice.add(tag("Alice's memory survives Bob's erase."))["memory_id"]
    for i in range(3):
        bob.add(tag(f"Bob's memory {i} about sailing."))
    bob.add_batch([{"text": tag("Bob's batch memory.")}])
    count = len(bob.get_all())
    assert count >= 4
    erased = bob.delete_all()
    assert erased["memories_deleted"] >= count and erased["key_destroyed"] is True
    assert bob.get_all() == []
    assert list(bob.export()) == []
    assert bob.search("sailing") == []
    assert bob.delete_all() == {"memories_deleted": 0, "key_destroyed": False}
    assert alice.get(alices)["memory_id"] == alices
    # Bob can start over (a new data key).
    again = bob.add(tag("Bob starts over."))
    assert bob.get(again["memory_id"])["text"].startswith("Bob starts over.")


def test_delete_all_needs_a_user_id(url: str, tokens: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        EngramClient(url, tokens["bob"]).delete_all()
