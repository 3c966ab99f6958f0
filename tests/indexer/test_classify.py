"""Theme rules: table-driven cases on realistic courseware names, and the keyword file."""

from __future__ import annotations

import tomllib
from collections import Counter

import pytest

from catalog.library.themes import LEARNING_THEMES, THEME_LABELS, Theme
from indexer.classify import (
    FIELD_NAMES_ZH,
    FIELD_WEIGHTS,
    KEYWORDS_FILE,
    MIN_LEAD,
    MIN_SCORE,
    Evidence,
    classify,
    load_keywords,
)

TITLE_CASES: list[tuple[str, Theme]] = [
    ("水稻种植技术", Theme.TECHNOLOGY),
    ("果树嫁接与病虫害防治", Theme.TECHNOLOGY),
    ("生猪养殖实用技术", Theme.TECHNOLOGY),
    ("新农合报销政策问答", Theme.POLICY),
    ("土地承包经营权流转", Theme.POLICY),
    ("婚姻法知识讲座", Theme.POLICY),
    ("党员先进性教育", Theme.PARTY),
    ("三会一课制度", Theme.PARTY),
    ("优秀共产党员事迹", Theme.PARTY),
    ("科学发展观学习辅导", Theme.POLITICS),
    ("十七大会议精神解读", Theme.POLITICS),
    ("黄梅戏选段", Theme.CULTURE),
    ("广场舞教学", Theme.CULTURE),
    ("农村常见疾病预防", Theme.CULTURE),
]


@pytest.mark.parametrize(("title", "theme"), TITLE_CASES)
def test_title_alone_picks_the_theme(title: str, theme: Theme) -> None:
    result = classify(Evidence(title=title, filename=title))
    assert result.theme == theme, result.reason
    assert result.reason and "标题" in result.reason
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.parametrize("theme", LEARNING_THEMES)
def test_folder_named_after_theme_classifies_files_inside(theme: Theme) -> None:
    folder = THEME_LABELS[theme][0]  # 政治理论, 党建知识, 农村政策法规, 先进适用科技, 健康娱乐文化
    result = classify(Evidence(title="VIDEO_001", filename="VIDEO_001",
                               folders=("远教课件", folder)))
    assert result.theme == theme, result.reason
    assert "文件夹" in result.reason and folder in result.reason


@pytest.mark.parametrize(
    ("evidence", "theme"),
    [
        (Evidence(label="DANGJIAN_2009_03"), Theme.PARTY),
        (Evidence(label="ＤＡＮＧＪＩＡＮ_2009_03"), Theme.PARTY),  # full-width folds (NFKC)
        (Evidence(folders=("keji",), title="VIDEO_001"), Theme.TECHNOLOGY),
        (Evidence(folders=("KeJi_2010",), title="VIDEO_001"), Theme.TECHNOLOGY),
        (Evidence(title="law_2010"), Theme.POLICY),
        (Evidence(title="zhengce-jiedu"), Theme.POLICY),
    ],
    ids=["label", "label-fullwidth", "pinyin-folder", "pinyin-folder-mixed-case", "law_2010",
         "pinyin-title"],
)
def test_ascii_keywords_match_at_word_start(evidence: Evidence, theme: Theme) -> None:
    result = classify(evidence)
    assert result.theme == theme, result.reason


def test_lawn_care_does_not_match_law() -> None:
    result = classify(Evidence(title="lawn care"))
    assert result.theme == Theme.UNCLASSIFIED, result.reason


def test_ascii_keyword_inside_a_word_does_not_match() -> None:
    # The keyword must start a word: "law" in "outlaw" is no hit.
    result = classify(Evidence(title="outlaw"))
    assert result.theme == Theme.UNCLASSIFIED
    assert not result.hits


@pytest.mark.parametrize("name", ["VIDEO_001", "DSC0001", "新建文件夹", "未命名"])
def test_bare_name_is_unclassified_with_a_reason(name: str) -> None:
    result = classify(Evidence(title=name, filename=name))
    assert result.theme == Theme.UNCLASSIFIED
    assert result.confidence == 0.0
    assert result.reason == "没有足够的主题线索"


def test_weak_evidence_alone_is_unclassified_and_named_in_reason() -> None:
    # A description hit (0.5) is below MIN_SCORE: not enough to decide, but explained.
    assert FIELD_WEIGHTS["description"] < MIN_SCORE
    result = classify(Evidence(title="VIDEO_001", description="介绍水稻的种植"))
    assert result.theme == Theme.UNCLASSIFIED
    assert result.reason.startswith("没有足够的主题线索：")
    assert "简介" in result.reason


def test_two_tied_themes_are_unclassified_naming_both() -> None:
    result = classify(Evidence(title="党员养殖技术"))
    assert result.theme == Theme.UNCLASSIFIED
    assert result.confidence == 0.0
    assert "多个主题线索相当" in result.reason
    assert "party" in result.reason and "technology" in result.reason


def test_lead_too_small_is_unclassified() -> None:
    # tag 3.0 against folder + description 2.5: 3.0 < 2.5 * MIN_LEAD, nobody clearly ahead.
    runner_up = FIELD_WEIGHTS["folder"] + FIELD_WEIGHTS["description"]
    assert FIELD_WEIGHTS["tag"] < runner_up * MIN_LEAD
    result = classify(Evidence(tags=("党建",), folders=("先进适用科技",), description="水稻种植"))
    assert result.theme == Theme.UNCLASSIFIED
    assert result.reason == "多个主题线索相当：party 3；technology 2.5"


def test_xingshi_yu_zhengce_is_politics() -> None:
    result = classify(Evidence(title="形势与政策"))
    assert result.theme == Theme.POLITICS, result.reason


def test_sidecar_tag_outweighs_a_conflicting_title() -> None:
    result = classify(Evidence(title="水稻种植技术", tags=("党建",)))
    assert result.theme == Theme.PARTY
    assert "分类标签" in result.reason and "党建" in result.reason


def test_reason_names_field_and_keyword() -> None:
    result = classify(Evidence(title="黄梅戏选段"))
    assert result.theme == Theme.CULTURE
    assert result.reason == "标题“黄梅戏选段”含“黄梅戏”(+1.5)"
    (hit,) = result.hits
    assert (hit.field, hit.keyword, hit.weight) == ("title", "黄梅戏", FIELD_WEIGHTS["title"])


def test_reason_lists_every_hit_for_the_winner() -> None:
    result = classify(Evidence(title="水稻种植技术", folders=("先进适用科技",),
                               label="KEJI_2008"))
    assert result.theme == Theme.TECHNOLOGY
    for field_name in ("label", "folder", "title"):
        assert FIELD_NAMES_ZH[field_name] in result.reason
    assert {h.field for h in result.hits} == {"label", "folder", "title"}
    for hit in result.hits:
        assert f"“{hit.keyword}”" in result.reason
        assert hit.keyword in load_keywords()[Theme.TECHNOLOGY]


def test_longest_keyword_wins_one_hit_per_field() -> None:
    result = classify(Evidence(folders=("政治理论",)))
    assert result.theme == Theme.POLITICS
    assert [h.keyword for h in result.hits] == ["政治理论"]


def test_confidence_in_unit_interval_and_grows_with_evidence() -> None:
    steps = [
        Evidence(title="水稻种植技术"),
        Evidence(title="水稻种植技术", folders=("先进适用科技",)),
        Evidence(title="水稻种植技术", folders=("先进适用科技",), tags=("科技",)),
        Evidence(title="水稻种植技术", folders=("先进适用科技",), tags=("科技",),
                 label="KEJI_2008", description="水稻栽培"),
    ]
    confidences = [classify(e).confidence for e in steps]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences)
    assert confidences[0] < confidences[1]
    assert confidences[-1] == 1.0


def test_competing_theme_lowers_confidence() -> None:
    clean = classify(Evidence(title="水稻种植技术", folders=("先进适用科技",)))
    contested = classify(Evidence(title="水稻种植技术", folders=("先进适用科技",),
                                  description="党员带头"))
    assert clean.theme == contested.theme == Theme.TECHNOLOGY
    assert contested.confidence < clean.confidence


def test_filename_equal_to_title_counts_once() -> None:
    once = classify(Evidence(title="水稻种植技术"))
    same = classify(Evidence(title="水稻种植技术", filename="水稻种植技术"))
    assert same.hits == once.hits


def test_every_keyword_is_a_non_empty_string() -> None:
    data = tomllib.loads(KEYWORDS_FILE.read_text("utf-8"))
    assert set(data) == {t.value for t in LEARNING_THEMES}
    for theme in LEARNING_THEMES:
        keywords = data[theme.value]["keywords"]
        assert keywords, theme
        for keyword in keywords:
            assert isinstance(keyword, str) and keyword.strip() == keyword and keyword, (
                theme, keyword)


def test_no_keyword_appears_under_two_themes() -> None:
    counts = Counter(k for keywords in load_keywords().values() for k in set(keywords))
    duplicates = sorted(k for k, n in counts.items() if n > 1)
    assert duplicates == [], f"keywords under more than one theme: {duplicates}"


def test_no_keyword_repeats_within_a_theme() -> None:
    for theme, keywords in load_keywords().items():
        assert len(keywords) == len(set(keywords)), theme
