"""The numbering of a book laid out in parts (renderers/pdf/parts/plan.py), on synthetic books.

A synthetic part knows how many pages it takes and where its anchors fall *given the numbers
it is laid out with*, so the cases that are rare in real books (a number with one digit more
pushes a page over, an anchor moves, parts that never agree) are easy to make. ``lay_out``
below drives the plan the way the worker processes do: every part laid out with guesses,
then each given its real numbers (kept parts take them in place, the others are laid out
again), then ``settle``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from msl_book.renderers.pdf.parts.plan import NotSettled, Numbers, PartPlan, Plan, settle


@dataclass
class Synthetic:
    """A part: its pages and anchor positions as functions of the numbers it is given."""

    ids: list[str]
    links: list[str] = field(default_factory=list)
    front: bool = False
    estimate: int = 10
    pages: Callable[[Numbers], int] = lambda numbers: 10
    anchors: Callable[[Numbers], dict[str, int]] | None = None

    def lay_out(self, numbers: Numbers) -> tuple[int, dict[str, int]]:
        anchors = self.anchors(numbers) if self.anchors else {name: 0 for name in self.ids}
        return self.pages(numbers), anchors


def plan_of(book: list[Synthetic], keep_pages: int = 1000) -> Plan:
    return Plan(
        [PartPlan(frozenset(p.ids), frozenset(p.links), p.front, p.estimate) for p in book], keep_pages
    )


def lay_out(plan: Plan, book: list[Synthetic]) -> list[list[int]]:
    """Lay the book out as the workers do, every part started at once (so all guess from
    estimates); returns the parts laid out again in each round."""
    guesses = [plan.guesses(index) for index in range(len(book))]
    for index, part in enumerate(book):
        plan.measured(index, *part.lay_out(guesses[index]))
    numbers = plan.numbers()
    for index, part in enumerate(book):
        plan.measured(index, *part.lay_out(plan.give(index, numbers[index])))
    rounds: list[list[int]] = []

    def again(stale: list[int]) -> None:
        rounds.append(stale)
        numbers = plan.numbers()
        for index in stale:
            plan.measured(index, *book[index].lay_out(plan.give(index, numbers[index])))

    settle(plan, again)
    return rounds


def digits(numbers: Numbers) -> int:
    return max((len(str(v)) for v in numbers.values.values()), default=1)


def test_parts_are_kept_while_their_estimated_pages_fit():
    book = [Synthetic(["a"], estimate=e) for e in (3, 100, 100, 50, 60)]
    plan = plan_of(book, keep_pages=200)
    assert [p.keep for p in plan.parts] == [True, True, False, True, False]


def test_each_kept_part_counts_its_process_and_the_front_matter_is_never_kept():
    book = [Synthetic(["toc"], front=True, estimate=3)] + [
        Synthetic([f"c{i}"], estimate=10) for i in range(4)
    ]
    plan = plan_of(book, keep_pages=35)
    assert [p.keep for p in plan.parts] == [False, True, True, True, False]  # 10 each, the front not kept
    plan = Plan([PartPlan(frozenset(p.ids), frozenset(), p.front, p.estimate) for p in book], 35, overhead=3)
    assert [p.keep for p in plan.parts] == [False, True, True, False, False]  # 13 each
    assert [plan.deferred(i) for i in range(len(book))] == [True, False, False, False, False]


def test_the_deferred_front_matter_laid_out_after_the_body_needs_no_second_layout():
    """Its contents show every chapter's page; laid out once the chapters are measured,
    with their numbers, it is not stale, and nothing waits for its page count."""
    book = [
        Synthetic(["toc"], links=["c1", "c2", "c3"], front=True, pages=lambda n: 3, estimate=1),
        Synthetic(["c1"], pages=lambda n: 9),
        Synthetic(["c2"], links=["toc"], pages=lambda n: 11),
        Synthetic(["c3"], pages=lambda n: 7),
    ]
    plan = plan_of(book)
    for index in range(1, len(book)):  # the body, from guesses
        plan.measured(index, *book[index].lay_out(plan.give(index, plan.guesses(index))))
    plan.shown(2, frozenset())  # its link to the contents shows no page number
    plan.measured(0, *book[0].lay_out(plan.give(0, plan.numbers()[0])))
    assert plan.stale() == []
    assert plan.parts[0].given == Numbers(None, {"c1": 1, "c2": 10, "c3": 21})


def test_folios_follow_from_the_page_counts_and_the_front_matter_has_its_own():
    book = [
        Synthetic(["toc"], links=["c3"], front=True, pages=lambda n: 4),
        Synthetic(["c1"], links=["c3"], pages=lambda n: 10),
        Synthetic(["c2", "fig"], anchors=lambda n: {"c2": 0, "fig": 6}, pages=lambda n: 7),
        Synthetic(["c3"], links=["fig", "c1"], pages=lambda n: 12),
    ]
    plan = plan_of(book)
    assert lay_out(plan, book) == []
    numbers = plan.numbers()
    assert [n.first for n in numbers] == [None, 1, 11, 18]
    assert numbers[0].values == {"c3": 18}
    assert numbers[3].values == {"c1": 1, "fig": 17}


def test_guesses_use_what_is_measured_and_estimates_for_the_rest():
    book = [
        Synthetic(["p0"], front=True),
        Synthetic(["p1"], estimate=30),
        Synthetic(["p2"], links=["p3"]),
        Synthetic(["p3"]),
    ]
    plan = plan_of(book)
    assert plan.guesses(2) == Numbers(31, {"p3": 41})  # 1 + 30 estimated, then 10
    plan.measured(1, 12, {"p1": 0})
    assert plan.guesses(2) == Numbers(13, {"p3": 23})
    assert plan.guesses(0) == Numbers(None, {})


def test_a_part_that_grows_when_it_takes_its_numbers_restales_the_parts_after_it():
    """Guesses of two digits, real numbers of three: the second part's reference line runs
    over, it takes a page more, and every later folio moves."""
    book = [
        Synthetic(["front"], front=True, pages=lambda n: 3),
        Synthetic(["a"], estimate=9, pages=lambda n: 95),
        Synthetic(["b"], links=["d"], estimate=1, pages=lambda n: 5 + (digits(n) >= 3)),
        Synthetic(["c"], links=["b"], pages=lambda n: 10),
        Synthetic(["d"], links=["a"], pages=lambda n: 10),
    ]
    plan = plan_of(book)
    rounds = lay_out(plan, book)
    assert rounds == [[2, 3, 4]]  # b's reference to d, and c's and d's first folios
    numbers = plan.numbers()
    assert [n.first for n in numbers] == [None, 1, 96, 102, 112]
    assert plan.stale() == []
    assert [p.given for p in plan.parts] == numbers


def test_an_anchor_that_moves_restales_only_the_parts_that_link_to_it():
    """Taking its real numbers moves the figure of part b to the next page, and part a links
    to it (the case the old tests could only fake by patching a private method)."""
    book = [
        Synthetic(["front"], front=True, pages=lambda n: 2),
        Synthetic(["a"], links=["fig"], pages=lambda n: 10),
        Synthetic(
            ["b", "fig"],
            links=["c"],
            estimate=30,  # c is guessed to start on page 41; it starts on page 21
            anchors=lambda n: {"b": 0, "fig": 3 if n.values.get("c") == 21 else 2},
        ),
        Synthetic(["c"], links=["b"]),
    ]
    plan = plan_of(book)
    assert lay_out(plan, book) == [[1]]
    assert plan.numbers()[1].values == {"fig": 14}


def test_parts_that_never_agree_are_an_error_after_three_layouts():
    """Each part's page count depends on the other's folios with opposite signs."""
    book = [
        Synthetic(["front"], front=True),
        Synthetic(["a"], links=["b"], pages=lambda n: 10 + (n.values.get("b", 0) % 2)),
        Synthetic(["b"], links=["a"], pages=lambda n: 10),
    ]
    plan = plan_of(book)
    with pytest.raises(NotSettled, match="do not settle on their page numbers after 3 layouts"):
        lay_out(plan, book)


def test_settle_checks_again_after_its_last_layout():
    calls: list[list[int]] = []
    book = [Synthetic(["front"], front=True), Synthetic(["a"])]
    plan = plan_of(book)
    lay_out(plan, book)
    plan.parts[1].given = None  # as if laid out with numbers it no longer needs
    assert settle(plan, lambda stale: (calls.append(stale), plan.give(1, plan.numbers()[1])), attempts=1) == 1
    assert calls == [[1]]


def test_a_part_is_numbered_only_by_the_anchors_whose_numbers_it_shows():
    """Part 1 links to p2 and p3 but shows only p3's page number (what its layout looked up):
    p2 moving leaves it as it was laid out; p3 moving makes it stale."""
    book = [
        Synthetic(["p0"], front=True),
        Synthetic(["p1"], links=["p2", "p3"]),
        Synthetic(["p2"]),
        Synthetic(["p3"]),
    ]
    plan = plan_of(book)
    for index in range(4):
        plan.measured(index, 10, {f"p{index}": 0})
    plan.give(1, plan.numbers()[1])
    assert plan.parts[1].given == Numbers(1, {"p2": 11, "p3": 21})
    plan.shown(1, frozenset({"p3"}))
    assert plan.parts[1].given == Numbers(1, {"p3": 21}) == plan.numbers()[1]
    plan.measured(2, 10, {"p2": 5})  # p2 moves within its part
    assert 1 not in plan.stale()
    plan.measured(3, 10, {"p3": 2})
    assert 1 in plan.stale()
    assert plan.guesses(1) == Numbers(1, {"p3": 23})


def test_a_parts_numbers_are_known_once_the_parts_they_come_from_are_measured():
    book = [
        Synthetic(["contents"], links=["c", "back"], front=True),
        Synthetic(["a"]),
        Synthetic(["b"], links=["a"]),  # shows a page of the part before it
        Synthetic(["c"], links=["back"]),  # shows a page of a later part
        Synthetic(["back"]),
    ]
    plan = plan_of(book, keep_pages=0)
    assert plan.known(1)  # the first part of the body: its folios start at 1
    assert not plan.known(2)  # part 1 is not measured: its first folio is not known
    plan.measured(1, 7, {"a": 3})
    assert plan.known(2)  # the front matter's count does not move the body's folios
    plan.measured(2, 5, {"b": 0})
    assert not plan.known(3)  # "back" is not measured yet
    plan.shown(3, frozenset())  # its layout showed no page of another part after all
    assert plan.known(3)
    plan.shown(3, frozenset({"back"}))
    plan.measured(4, 2, {"back": 1})
    assert not plan.known(3)  # part 3, before "back", is not measured: "back"'s folio is not known
    plan.measured(3, 4, {"c": 0})
    assert plan.known(3) and plan.numbers()[3] == Numbers(13, {"back": 18})
    plan.measured(4, 2, {})  # "back" lands on no page (hidden in print): it has no number
    assert not plan.known(3)


def test_a_parts_first_folio_is_known_once_the_parts_before_it_are_measured():
    """What a part that asks is told when its other numbers are not known yet (its folios,
    so its pages' sides): the front matter's count does not matter, later parts' do not."""
    book = [
        Synthetic(["contents"], links=["back"], front=True),
        Synthetic(["a"], links=["back"]),
        Synthetic(["b"], links=["back"]),
        Synthetic(["back"]),
    ]
    plan = plan_of(book, keep_pages=0)
    assert plan.first_known(1) and not plan.known(1)  # "back" is not measured
    assert not plan.first_known(2)
    plan.measured(3, 2, {"back": 0})
    assert not plan.first_known(2)
    plan.measured(1, 7, {"a": 3})
    assert plan.first_known(2) and plan.numbers()[2].first == 8
