"""``IdentityMemo``: one build per (objects by identity, parameters by equality)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.memo import IdentityMemo


@dataclass(frozen=True)
class Item:
    name: str


def test_the_same_objects_and_parameters_reuse_the_result() -> None:
    memo: IdentityMemo[str] = IdentityMemo()
    builds: list[str] = []
    item = Item("a")

    def build() -> str:
        builds.append(item.name)
        return f"view of {item.name}"

    first = memo.get((item,), ("en",), build)
    again = memo.get((item,), ("en",), build)
    assert first is again
    assert builds == ["a"]


def test_an_equal_but_different_object_or_other_parameters_build_anew() -> None:
    memo: IdentityMemo[str] = IdentityMemo()
    count = 0

    def build() -> str:
        nonlocal count
        count += 1
        return str(count)

    a, twin = Item("a"), Item("a")
    assert twin == a
    assert memo.get((a,), ("en",), build) == "1"
    assert memo.get((twin,), ("en",), build) == "2"  # equal is not enough
    assert memo.get((a,), ("ru",), build) == "3"
    assert memo.get((a, twin), ("en",), build) == "4"  # a longer tuple is another key
    assert memo.get((a,), ("en",), build) == "1"


def test_it_keeps_its_objects_alive_so_an_id_is_never_reused_meanwhile() -> None:
    memo: IdentityMemo[str] = IdentityMemo()
    memo.get((Item("gone"),), (), lambda: "first")
    # the temporary Item is still referenced by the memo: a new object can't take its id
    assert memo.get((Item("new"),), (), lambda: "second") == "second"


def test_it_is_bounded() -> None:
    memo: IdentityMemo[int] = IdentityMemo(max_entries=3)
    items = [Item(str(i)) for i in range(10)]
    for i, item in enumerate(items):
        memo.get((item,), (), lambda i=i: i)  # type: ignore[misc]
        assert len(memo) <= 3
