"""Every setting is declared once here: name, default, type, help.

The CLI, docs/settings.md and a test that fails when a setting is undocumented all
read the `SETTINGS` table. Values come from, lowest to highest precedence: the
defaults, the TOML file (``<data dir>/yuanjiao.toml`` or ``--config``), ``YUANJIAO_*``
environment variables, and command-line options.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from catalog.errors import ConfigError

ENV_PREFIX = "YUANJIAO_"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: type
    help_zh: str
    help_en: str


def _cpu_count() -> int:
    return os.cpu_count() or 1


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "~/.local/share/yuanjiao", str,
            "数据目录：默认 SQLite 数据库、搜索索引和缓存都放在这里",
            "Data directory: the default SQLite database, search index and caches live here"),
    Setting("db_url", "", str,
            "数据库 URL；为空时使用数据目录下的 SQLite（catalog.sqlite3）。"
            "PostgreSQL 例：postgresql+psycopg://user@127.0.0.1:5432/yuanjiao",
            "Database URL; empty means SQLite (catalog.sqlite3) in the data directory. "
            "PostgreSQL example: postgresql+psycopg://user@127.0.0.1:5432/yuanjiao"),
    Setting("library_roots", [], list,
            "媒体库根目录列表（下载的课件、光盘镜像所在的文件夹）",
            "Library roots: folders holding downloaded courseware and disc images"),
    Setting("probe_workers", 0, int,
            "并行运行 ffprobe 的数量；0 表示按 CPU 核数自动选择",
            "How many ffprobe runs at once; 0 picks from the CPU count"),
    Setting("probe_timeout", 60.0, float,
            "单个文件 ffprobe 的超时（秒）；超时的文件记为扫描错误",
            "Seconds one ffprobe run may take; a file that takes longer is a scan error"),
    Setting("dvd_min_title_seconds", 30.0, float,
            "DVD 中短于 min(本值, 最长节目 × dvd_min_title_fraction) 的节目"
            "视为菜单、片头或警告，不收录",
            "DVD titles shorter than min(this, longest title × dvd_min_title_fraction) are menus, "
            "logos or warnings and are not catalogued"),
    Setting("dvd_min_title_fraction", 0.1, float,
            "见 dvd_min_title_seconds", "See dvd_min_title_seconds"),
    Setting("hls_slots", 0, int,
            "同时转码（HLS）的节目数上限；0 表示按 CPU 核数。超出时返回 503，稍后重试",
            "How many programmes may be converted to HLS at once; 0 means the CPU count. "
            "Beyond it requests get 503 with Retry-After"),
    Setting("hls_cache_mb", 2048, int,
            "HLS 分段缓存的大小上限（MB），在数据目录的 cache/hls 下，启动时清空",
            "Size limit of the HLS segment cache (MB), under cache/hls in the data directory; "
            "emptied at start-up"),
    Setting("transcode_timeout", 120.0, float,
            "生成一个 HLS 分段的超时（秒）", "Seconds one HLS segment may take to make"),
    Setting("ffprobe", "ffprobe", str,
            "ffprobe 程序路径", "Path of the ffprobe program"),
    Setting("ffmpeg", "ffmpeg", str,
            "ffmpeg 程序路径", "Path of the ffmpeg program"),
    Setting("host", "127.0.0.1", str,
            "网页服务监听地址；局域网内终端访问请设为 0.0.0.0",
            "Address the web server listens on; 0.0.0.0 for terminals on the LAN"),
    Setting("port", 8000, int, "网页服务端口", "Port the web server listens on"),
    Setting("timezone", "Asia/Shanghai", str,
            "页面显示时间所用的时区（数据库中一律存 UTC）",
            "Time zone for times shown on pages (the database keeps UTC)"),
    Setting("lang", "zh", str,
            "命令行消息语言：zh（默认）或 en", "Language of CLI messages: zh (default) or en"),
    Setting("station", "local", str,
            "本服务器所在站点的编号（如 XC-012）：播放记录和台账以它为名，直到站点建档",
            "This server's station code (such as XC-012): playbacks and the ledger are named "
            "after it until stations exist as records"),
    Setting("playback_idle_seconds", 60.0, float,
            "同一终端对同一课件的请求间隔超过此秒数，即视为一次播放结束",
            "A playback ends when its client has asked for nothing of the item for this many "
            "seconds"),
    Setting("playback_buffer_seconds", 30.0, float,
            "一次播放计为收看的秒数，最多为其实际经过的时间再加这么多秒（播放器预先缓冲的部分）",
            "A playback counts as watched at most its wall-clock span plus this many seconds "
            "(what a player fetches ahead)"),
    Setting("log_format", "text", str,
            "终端播放记录的格式：text（可读的一行）或 json（结构化）",
            "Format of the playback lines on the terminal: text (readable) or json"),
    Setting("checkpoint_rows", 1000, int,
            "台账每增加这么多条记录就签名一个检查点",
            "Sign a ledger checkpoint after this many new rows"),
    Setting("checkpoint_minutes", 5.0, float,
            "台账有未签名的记录时，最迟这么多分钟后签名一个检查点",
            "Sign a ledger checkpoint at most this many minutes after a row was written"),
    Setting("checkpoint_on_close", True, bool,
            "每次播放结束时签名一个检查点（电话校验码随之更新）",
            "Sign a ledger checkpoint whenever a playback closes (the telephone code follows)"),
    Setting("refuse_unrecorded", True, bool,
            "台账写不进数据库时拒绝播放，而不是播放却不留记录",
            "Refuse streams while ledger rows cannot be written, rather than serve them "
            "unrecorded"),
    Setting("city_name", "本市", str,
            "组织树根节点（市）的名称，首次启动时建立",
            "Name of the organization tree's root (the city), made at the first start"),
    Setting("guest_viewing", False, bool,
            "允许未登录的访客浏览、搜索和观看课件（只在可信的局域网里打开）；"
            "关闭时只有登录用户和持站点令牌的终端可以观看",
            "Let visitors who are not signed in browse, search and watch courseware (turn on "
            "only on a trusted network); off, only signed-in people and station terminals can"),
    Setting("trusted_proxies", [], list,
            "可信反向代理的地址；只有来自这些地址的 X-Forwarded-For 才被采信",
            "Addresses of trusted reverse proxies; X-Forwarded-For is believed only from them"),
    Setting("public_url", "", str,
            "对外访问地址（如 http://192.168.1.10:8000），用于站点二维码和导出的播放列表；"
            "为空时取自请求",
            "The address terminals reach this server at (such as http://192.168.1.10:8000), "
            "for station QR codes and exported playlists; empty takes it from the request"),
    Setting("session_idle_minutes", 120.0, float,
            "登录后闲置超过这么多分钟即需重新登录",
            "Minutes of inactivity after which a login session ends"),
    Setting("session_hours", 12.0, float,
            "一次登录最长有效的小时数", "Hours after which a login session ends regardless"),
    Setting("login_failures_per_account", 100, int,
            "一小时内同一账号登录失败达到此次数后，暂停该账号登录",
            "Failed logins per account within an hour after which its logins are refused"),
    Setting("activity_min_minutes", 180, int,
            "一次活动日的最短时长（分钟，播放加讨论），即“不少于半天”",
            "Shortest activity day in minutes (playback and discussion): the half-day rule"),
    Setting("compose_recent_months", 6, int,
            "自动编排时避开本站点最近这么多个月已播放过的课件",
            "Auto-compose avoids items the station showed within this many months"),
    Setting("login_failures_per_address", 1000, int,
            "一小时内同一地址登录失败达到此次数后，暂停该地址登录",
            "Failed logins per address within an hour after which its logins are refused"),
    Setting("signin_opens_minutes", 30, int,
            "活动开始前多少分钟起可以签到（至活动结束）",
            "Minutes before a session's start from which sign-in is open (until its end)"),
    Setting("signin_device_limit", 3, int,
            "同一设备 10 分钟内签到超过此人数即标记（不阻止）",
            "More members than this signed in from one device within 10 minutes is flagged "
            "(never blocked)"),
    Setting("late_entry_hours", 24.0, float,
            "活动结束后超过此小时数写入的签到、标记视为补登，在所有页面和导出中标出",
            "Marks written more than this many hours after a session's end are late entries, "
            "flagged wherever they are shown"),
    Setting("makeup_coverage", 0.9, float,
            "补课须收看每个课件时长的比例（按实际送出的媒体秒数计）",
            "Share of each item's duration a make-up must have been sent (watched seconds)"),
    Setting("makeup_days", 60, int,
            "活动结束后多少天内补课有效",
            "Days after a session within which a make-up counts"),
    Setting("attendance_target_prescribed", 0.85, float,
            "全体党员参加的活动的参学率目标",
            "Attendance target of sessions for all members"),
    Setting("viewing_min_seconds", 120.0, float,
            "开放式自选收看中，短于此秒数的播放不计入学时",
            "Open viewing: plays shorter than this many seconds do not count as learning time"),
    Setting("viewing_cap_minutes", 60.0, float,
            "开放式自选收看中，同一课件每天最多计入的分钟数",
            "Open viewing: at most this many minutes per item per day count"),
    Setting("attendance_target_elective", 0.75, float,
            "分组自选课程的参学率目标",
            "Attendance target of elective group sessions"),
    Setting("report_rubric", "", str,
            "站点评定细则（TOML 文件）的路径；空则用随软件提供的默认细则",
            "Path of the station rating rubric (a TOML file); empty: the shipped default"),
    Setting("report_card_due_days", 5, int,
            "月报卡须在次月第几天前报送",
            "A month's report card is due by this day of the next month"),
    Setting("flag_record_late_days", 7, int,
            "讨论记录或信息反馈晚于活动结束多少天即列为异常线索",
            "Minutes or feedback entered this many days after the session are a red flag"),
    Setting("flag_quiet_days", 14, int,
            "站点账本多少天没有新记录即列为异常线索",
            "A station whose ledger has not grown for this many days is a red flag"),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    library_roots: tuple[Path, ...] = ()
    probe_workers: int = 0
    probe_timeout: float = 60.0
    hls_slots: int = 0
    hls_cache_mb: int = 2048
    transcode_timeout: float = 120.0
    dvd_min_title_seconds: float = 30.0
    dvd_min_title_fraction: float = 0.1
    ffprobe: str = "ffprobe"
    ffmpeg: str = "ffmpeg"
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Shanghai"
    lang: str = "zh"
    station: str = "local"
    playback_idle_seconds: float = 60.0
    playback_buffer_seconds: float = 30.0
    log_format: str = "text"
    checkpoint_rows: int = 1000
    checkpoint_minutes: float = 5.0
    checkpoint_on_close: bool = True
    refuse_unrecorded: bool = True
    city_name: str = "本市"
    guest_viewing: bool = False
    trusted_proxies: tuple[str, ...] = ()
    public_url: str = ""
    session_idle_minutes: float = 120.0
    session_hours: float = 12.0
    login_failures_per_account: int = 100
    login_failures_per_address: int = 1000
    activity_min_minutes: int = 180
    compose_recent_months: int = 6
    signin_opens_minutes: int = 30
    signin_device_limit: int = 3
    late_entry_hours: float = 24.0
    makeup_coverage: float = 0.9
    makeup_days: int = 60
    attendance_target_prescribed: float = 0.85
    attendance_target_elective: float = 0.75
    viewing_min_seconds: float = 120.0
    viewing_cap_minutes: float = 60.0
    report_rubric: str = ""
    report_card_due_days: int = 5
    flag_record_late_days: int = 7
    flag_quiet_days: int = 14
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def ledger_key_path(self) -> Path:
        return self.data_dir / "ledger-key.pem"

    @property
    def effective_hls_slots(self) -> int:
        return self.hls_slots if self.hls_slots > 0 else _cpu_count()

    @property
    def effective_probe_workers(self) -> int:
        return self.probe_workers if self.probe_workers > 0 else _cpu_count()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _coerce(setting: Setting, value: Any, origin: str) -> Any:
    try:
        if setting.kind is list:
            if isinstance(value, str):
                return [part for part in value.split(os.pathsep) if part]
            if isinstance(value, list | tuple):
                return [str(v) for v in value]
            raise TypeError(type(value).__name__)
        if setting.kind is bool and isinstance(value, str):
            return value.strip().lower() in {"1", "true", "yes", "on"}
        return setting.kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "config_bad_value", name=setting.name, value=str(value), origin=origin
        ) from exc


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config_bad_toml", path=str(path), detail=str(exc)) from exc
    unknown = sorted(set(data) - set(SETTINGS_BY_NAME))
    if unknown:
        raise ConfigError("config_unknown_key", path=str(path), name=", ".join(unknown))
    return data


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve settings from defaults < TOML < environment < overrides (CLI options).

    The data directory decides where the default TOML file is looked for, so it is
    resolved first from the environment and overrides alone.
    """
    env = os.environ if environ is None else environ
    cli = {k: v for k, v in (overrides or {}).items() if v is not None}
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    sources = {s.name: "default" for s in SETTINGS}

    def apply(layer: Mapping[str, Any], origin: str) -> None:
        for name, raw in layer.items():
            values[name] = _coerce(SETTINGS_BY_NAME[name], raw, origin)
            sources[name] = origin

    env_layer = {
        s.name: env[ENV_PREFIX + s.name.upper()]
        for s in SETTINGS
        if env.get(ENV_PREFIX + s.name.upper(), "") != ""
    }
    data_dir_hint = cli.get("data_dir") or env_layer.get("data_dir") or values["data_dir"]
    if config_file is None and env.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(env[ENV_PREFIX + "CONFIG"])
    toml_path = config_file or Path(str(data_dir_hint)).expanduser() / "yuanjiao.toml"
    if config_file is not None and not toml_path.is_file():
        raise ConfigError("config_missing", path=str(toml_path))
    if toml_path.is_file():
        apply(_read_toml(toml_path), str(toml_path))
    apply(env_layer, "environment")
    apply(cli, "command line")

    data_dir = Path(str(values["data_dir"])).expanduser().resolve()
    db_url = values["db_url"] or f"sqlite:///{data_dir / 'catalog.sqlite3'}"
    if values["log_format"] not in {"text", "json"}:
        raise ConfigError("config_bad_value", name="log_format", value=values["log_format"],
                          origin=sources["log_format"])
    if not str(values["station"]).strip():
        raise ConfigError("config_bad_value", name="station", value=values["station"],
                          origin=sources["station"])
    if values["lang"] not in {"zh", "en"}:
        raise ConfigError("config_bad_value", name="lang", value=values["lang"],
                          origin=sources["lang"])
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("config_bad_value", name="timezone", value=values["timezone"],
                          origin=sources["timezone"]) from exc
    return Settings(
        data_dir=data_dir,
        db_url=db_url,
        library_roots=tuple(Path(p).expanduser().resolve() for p in values["library_roots"]),
        probe_workers=values["probe_workers"],
        probe_timeout=values["probe_timeout"],
        hls_slots=values["hls_slots"],
        hls_cache_mb=values["hls_cache_mb"],
        transcode_timeout=values["transcode_timeout"],
        dvd_min_title_seconds=values["dvd_min_title_seconds"],
        dvd_min_title_fraction=values["dvd_min_title_fraction"],
        ffprobe=values["ffprobe"],
        ffmpeg=values["ffmpeg"],
        host=values["host"],
        port=values["port"],
        timezone=values["timezone"],
        lang=values["lang"],
        station=values["station"],
        playback_idle_seconds=values["playback_idle_seconds"],
        playback_buffer_seconds=values["playback_buffer_seconds"],
        log_format=values["log_format"],
        checkpoint_rows=values["checkpoint_rows"],
        checkpoint_minutes=values["checkpoint_minutes"],
        checkpoint_on_close=values["checkpoint_on_close"],
        refuse_unrecorded=values["refuse_unrecorded"],
        city_name=values["city_name"],
        guest_viewing=values["guest_viewing"],
        trusted_proxies=tuple(values["trusted_proxies"]),
        public_url=str(values["public_url"]).rstrip("/"),
        session_idle_minutes=values["session_idle_minutes"],
        session_hours=values["session_hours"],
        login_failures_per_account=values["login_failures_per_account"],
        login_failures_per_address=values["login_failures_per_address"],
        activity_min_minutes=values["activity_min_minutes"],
        compose_recent_months=values["compose_recent_months"],
        signin_opens_minutes=values["signin_opens_minutes"],
        signin_device_limit=values["signin_device_limit"],
        late_entry_hours=values["late_entry_hours"],
        makeup_coverage=values["makeup_coverage"],
        makeup_days=values["makeup_days"],
        attendance_target_prescribed=values["attendance_target_prescribed"],
        attendance_target_elective=values["attendance_target_elective"],
        viewing_min_seconds=values["viewing_min_seconds"],
        viewing_cap_minutes=values["viewing_cap_minutes"],
        report_rubric=values["report_rubric"],
        report_card_due_days=values["report_card_due_days"],
        flag_record_late_days=values["flag_record_late_days"],
        flag_quiet_days=values["flag_quiet_days"],
        sources=sources,
    )
