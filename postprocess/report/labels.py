"""The report's words, in Chinese and English; ``--lang`` picks one or both."""

from __future__ import annotations

from maoyan_common.boards import BY_FEED_ID

LANGS = ("zh-en", "zh", "en")

#: Each label as (Chinese, English).
LABELS: dict[str, tuple[str, str]] = {
    "page_title": ("猫眼榜单历史", "Maoyan board history"),
    "made": ("生成于", "made"),
    "from_history": ("数据来自", "from"),
    "days": ("天", "days"),
    "period": ("时段", "period"),
    "latest": ("最新榜单", "Latest board"),
    "compared": ("变化对比", "change since"),
    "rank": ("排名", "Rank"),
    "change": ("变化", "Change"),
    "film": ("影片", "Film"),
    "score": ("评分", "Score"),
    "release": ("上映", "Release"),
    "new": ("新上榜", "NEW"),
    "left_board": ("跌出榜单", "Left the board"),
    "trends_need_days": (
        "历史中只有一天的数据：排名走势、进出榜和涨跌需要更多天的数据。",
        "The history holds one day: trends, entries and exits, climbs and falls need more days.",
    ),
    "bump_top": ("排名走势：当前前十", "Rank over time: today's top 10"),
    "bump_movers": ("排名走势：变动最大的影片", "Rank over time: the biggest movers"),
    "day": ("日期", "Day"),
    "entries_exits": ("每日进榜与出榜", "Entries and exits per day"),
    "entered": ("进榜", "entered"),
    "left": ("出榜", "left"),
    "films": ("影片数", "films"),
    "longest": ("在榜最久", "Longest on the board"),
    "days_on": ("在榜天数", "Days on"),
    "first_day": ("首次", "First"),
    "last_day": ("最近", "Last"),
    "best_rank": ("最高排名", "Best rank"),
    "climbs_7": ("近 7 天上升最多", "Biggest climbs, last 7 days"),
    "falls_7": ("近 7 天下降最多", "Biggest falls, last 7 days"),
    "climbs_all": ("全时段上升最多", "Biggest climbs, whole period"),
    "falls_all": ("全时段下降最多", "Biggest falls, whole period"),
    "then": ("当时", "Then"),
    "now": ("现在", "Now"),
    "none": ("无", "none"),
    "distributions": ("分布（最新榜单）", "Distributions (latest board)"),
    "score_dist": ("评分分布", "Scores"),
    "decades": ("上映年代", "Release decade"),
    "regions": ("上映地区", "Release region"),
    "numbers_over_time": ("榜单数字走势（前五）", "Board numbers over time (top 5)"),
    "box_office_total": ("总票房", "Total box office"),
    "box_office_realtime": ("实时/周末票房", "Box office (current)"),
    "wish_total": ("总想看", "Wish to see, total"),
    "wish_month": ("本月新增想看", "Wish to see, this month"),
    "boards": ("榜单", "Boards"),
    "today": ("今日概览", "At a glance"),
    "since": ("对比", "since"),
    "one_day_only": (
        "历史中只有这一天的数据，暂无可比。",
        "The history holds this one day: nothing to compare yet.",
    ),
    "no_change": ("与 {day} 相比没有变化。", "No change since {day}."),
    "new_leader": ("新的第一名", "New number 1"),
    "was": ("此前", "was"),
    "came_in": ("进榜", "Entered"),
    "went_out": ("出榜", "Left"),
    "climbed": ("上升", "Climbed"),
    "fell": ("下降", "Fell"),
    "leaders_by": ("前三", "Top 3"),
    "no_entries": (
        "{days} 天内没有影片进榜或出榜。",
        "No film entered or left the board in {days} days.",
    ),
    "one_decade": (
        "全部 {films} 部影片都上映于 {decade}。",
        "All {films} films were released in the {decade}.",
    ),
    "one_score": ("全部 {films} 部影片的评分都是 {score}。", "All {films} films score {score}."),
    "all_days_on": (
        "全部 {films} 部影片在 {days} 天里每天都在榜。",
        "All {films} films were on the board every day of the {days}.",
    ),
    "one_region": ("全部 {films} 部影片的上映地区：", "All {films} films were released in:"),
    "no_region": (
        "{films} 部影片都未注明上映地区。",
        "None of the {films} films states its release region.",
    ),
    "not_stated": ("未注明", "not stated"),
}


def words(lang: str) -> dict[str, str]:
    """Every label in the chosen language(s): ``zh-en`` puts the English beside the Chinese."""
    pick = {
        "zh-en": lambda zh, en: f"{zh} {en}",
        "zh": lambda zh, en: zh,
        "en": lambda zh, en: en,
    }[lang]
    return {key: pick(zh, en) for key, (zh, en) in LABELS.items()}


def board_name(board_id: int, lang: str) -> str:
    board = BY_FEED_ID.get(board_id)
    zh, en = (board.chinese, board.english) if board else (f"榜单 {board_id}", f"Board {board_id}")
    return {"zh-en": f"{zh} {en}", "zh": zh, "en": en}[lang]
