"""Terminal tables align by display width: a Chinese character takes two columns."""

from perfrules.engine.textout import table, width


def test_width_counts_chinese_as_two_columns():
    assert width("产出指标") == 8 and width("abc") == 3 and width("≥23 份") == 6


def test_ambiguous_characters_can_be_counted_wide(monkeypatch):
    monkeypatch.setenv("PERFRULES_AMBIGUOUS_WIDE", "1")
    assert width("≥23 份") == 7


def test_columns_line_up_whatever_the_script():
    text = table(["指标", "分值", "说明"], [["财政供养人员", "5", "满分"], ["a", "10", "x"]], "<><")
    lines = text.split("\n")
    # the second column ends at the same display column on every line
    ends = [width(line[: line.index(cell) + len(cell)]) for line, cell in zip(lines, ["分值", "─", "5", "10"])
            if cell != "─"]
    assert len(set(ends)) == 1, lines
