"""The SVG charts: well-formed XML, titled and described, text escaped, nothing styled inline."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from cancellations.insights.catalogue import CHARTS, chart
from cancellations.insights.charts import Series, bar_chart, line_chart, nice_ceiling
from cancellations.insights.formatting import count, percent
from cancellations.insights.periods import Period
from cancellations.insights.report import StoreInsights
from tests.insights.conftest import END, START, STOCKHOLM

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def assert_accessible(root: ElementTree.Element, title: str) -> None:
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == title
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text
    assert all(element.get("style") is None for element in root.iter())


def test_a_bar_chart_draws_a_bar_per_value_scaled_to_the_largest():
    svg = bar_chart(
        chart_id="c",
        title="Reasons",
        description="Why customers cancelled.",
        categories=["Too slow", "Changed mind"],
        series=[Series("This period", [4, 2], "current"), Series("Previous period", [1, 0], "previous")],
        value_text=count,
    )

    root = parse(svg)
    assert_accessible(root, "Reasons")
    bars = root.findall(f".//{SVG}rect[@class='chart__bar chart__bar--current']")
    assert [float(bar.get("width")) for bar in bars] == [276.0, 138.0]
    previous = root.findall(f".//{SVG}rect[@class='chart__bar chart__bar--previous']")
    assert [float(bar.get("width")) for bar in previous] == [69.0, 0.0]
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "Too slow" in texts
    assert "Changed mind" in texts
    assert "4" in texts


def test_a_line_chart_breaks_where_there_is_no_value():
    svg = line_chart(
        chart_id="c",
        title="Rate",
        description="Cancellation rate by day.",
        x_labels=["1 Nov", "2 Nov", "3 Nov", "4 Nov", "5 Nov"],
        series=[Series("This period", [0.1, 0.2, None, 0.3, 0.4], "current")],
        value_text=percent,
    )

    root = parse(svg)
    assert_accessible(root, "Rate")
    lines = root.findall(f".//{SVG}polyline")
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    assert len(root.findall(f".//{SVG}circle")) == 4
    # The axis tops out at a round number above the largest value.
    assert any(text.text == "50.0 %" for text in root.iter(f"{SVG}text"))


def test_text_in_a_chart_is_escaped():
    svg = bar_chart(
        chart_id="c",
        title='Products <script>alert("x")</script>',
        description="A & B",
        categories=["<b>Tee</b> & co"],
        series=[Series("This period", [1], "current")],
        value_text=count,
    )

    root = parse(svg)
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == 'Products <script>alert("x")</script>'
    assert "<b>Tee</b> & co" in [text.text for text in root.iter(f"{SVG}text")]


def test_a_chart_without_data_says_so():
    svg = bar_chart(
        chart_id="c",
        title="Products",
        description="Nothing yet.",
        categories=[],
        series=[Series("This period", [], "current")],
        value_text=count,
    )

    root = parse(svg)
    assert_accessible(root, "Products")
    assert [text.text for text in root.iter(f"{SVG}text")] == ["No data for this period"]


@pytest.mark.parametrize(("value", "top"), [(0.0, 1.0), (0.37, 0.5), (3, 5), (7, 10), (12, 20), (230, 250)])
def test_axes_end_on_a_round_number(value, top):
    assert nice_ceiling(value) == pytest.approx(top)


@pytest.mark.django_db
@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_of_the_page_is_well_formed_and_titled(dataset, name):
    insights = StoreInsights(store=dataset.store, period=Period.of(START, END, STOCKHOLM), language="en")

    item = chart(name, insights)

    assert_accessible(parse(item.svg), item.title)
    assert len({column.key for column in item.columns}) == len(item.columns)
    assert all(len(row) == len(item.columns) for row in item.rows)
