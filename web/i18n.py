"""Page language: Chinese by default; English by ?lang=en, a remembered choice, or
Accept-Language. Page texts live here; messages (errors, scan reasons) in catalog.messages."""

from __future__ import annotations

from starlette.requests import Request

LANG_COOKIE = "lang"

UI: dict[str, tuple[str, str]] = {
    "app_name": ("远教 · 党员远程教育课件库", "Yuanjiao · Party-member remote education library"),
    "catalog": ("课件目录", "Catalog"),
    "scan_errors": ("扫描错误", "Scan errors"),
    "playbacks": ("播放记录", "Playback log"),
    "search": ("搜索", "Search"),
    "recently_added": ("最近添加", "Recently added"),
    "search_hint": ("输入课件名称或拼音，如 水稻、shuidao",
                    "A title or its pinyin, e.g. 水稻, shuidao"),
    "search_results": ("“{q}”的搜索结果：{n} 个", "{n} results for “{q}”"),
    "search_none": ("没有找到与“{q}”相符的课件。", "Nothing matches “{q}”."),
    "did_you_mean": ("您是不是要找：", "Did you mean: "),
    "all_themes": ("全部主题", "All themes"),
    "search_fallback": ("搜索索引正在重建，结果暂时只按标题查找。",
                        "The search index is being rebuilt; for now only titles are searched."),
    "previous_page": ("上一页", "Previous"),
    "next_page": ("下一页", "Next"),
    "playbacks_intro": ("本站 {station} 每一次播放都由服务器在播放时记入防篡改台账；"
                        "此处按时间倒序列出。检查人员可用 yuanjiao ledger verify 校验。",
                        "Every playback at station {station} is written by the server, as it "
                        "serves it, to the tamper-evident ledger; newest first. Inspectors "
                        "check it with yuanjiao ledger verify."),
    "playbacks_total": ("共 {n} 次播放", "{n} playbacks"),
    "no_playbacks": ("还没有播放记录。", "No playbacks yet."),
    "date_from": ("从", "From"),
    "date_to": ("到", "To"),
    "item_number": ("课件编号", "Item number"),
    "filter": ("筛选", "Filter"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "opened": ("开始", "Started"),
    "closed_at": ("结束", "Ended"),
    "watched": ("收看时长", "Watched"),
    "method": ("方式", "Method"),
    "client": ("终端", "Terminal"),
    "session_number": ("活动编号", "Session"),
    "member_account": ("党员账号", "Member"),
    "playback_failed": ("未能播放", "failed"),
    "ledger_seq": ("台账序号", "Ledger seq"),
    "still_playing": ("播放中", "playing"),
    "direct_play": ("直接播放", "direct"),
    "ended_restart": ("服务器重启", "server restarted"),
    "items_total": ("共 {n} 个课件", "{n} items"),
    "no_items": ("目录中还没有课件。请在服务器上运行 yuanjiao scan 目录。",
                 "The catalog is empty. Run `yuanjiao scan FOLDER` on the server."),
    "title": ("标题", "Title"),
    "duration": ("时长", "Duration"),
    "format": ("格式", "Format"),
    "kind": ("类型", "Kind"),
    "theme": ("主题", "Theme"),
    "theme_reason": ("分类依据", "Why this theme"),
    "theme_overridden": ("（管理员指定）", "(set by an organizer)"),
    "path": ("文件", "File"),
    "size": ("大小", "Size"),
    "codecs": ("编码", "Codecs"),
    "resolution": ("分辨率", "Resolution"),
    "playable": ("浏览器直接播放", "Plays in the browser"),
    "needs_hls": ("需转码播放", "Needs conversion to play"),
    "converted": ("转码", "converted"),
    "kind_video": ("视频", "Video"),
    "kind_audio": ("音频", "Audio"),
    "kind_document": ("文档", "Document"),
    "reason": ("原因", "Reason"),
    "disc": ("光盘", "Disc"),
    "download": ("下载", "Download"),
    "details": ("详细信息", "Details"),
    "watch": ("播放", "Play"),
    "no_video_support": ("您的浏览器不能播放视频。请换用新版浏览器。",
                         "Your browser cannot play video. Please use a recent browser."),
    "plays_direct": ("直接播放原文件。", "Playing the original file."),
    "plays_hls": ("此格式浏览器不能直接播放，正在边转码边播放，拖动进度条稍候即可。",
                  "Browsers cannot play this format directly: it is converted while you "
                  "watch; after a seek, give it a moment."),
    "player_error": ("播放出错。请刷新页面重试；如仍不行，请告诉站点管理员。",
                     "Playback failed. Reload the page; if it still fails, tell the station "
                     "administrator."),
    "player_reason": ("原因：", "Reason: "),
    "tv_failed": ("无法播放，几秒后播放下一个。", "cannot be played; the next item follows in a "
                  "few seconds."),
    "reason_network": ("网络中断或服务器没有回应。", "the network or the server did not answer."),
    "reason_decode": ("文件已损坏或编码无法解开。", "the file is damaged or cannot be decoded."),
    "reason_unsupported": ("这台设备的浏览器不支持此格式。",
                           "this device's browser does not support the format."),
    "reason_aborted": ("播放被中止。", "playback was stopped."),
    "reason_unknown": ("未知错误。", "an unknown error."),
    "disc_title": ("光盘节目号", "Title on the disc"),
    "chapters": ("章节", "Chapters"),
    "seen_at": ("发现时间", "Found at"),
    "no_errors": ("没有扫描错误。", "No scan errors."),
    "errors_intro": ("以下文件未能收录。按提示处理后，重新扫描即可。",
                     "These files could not be catalogued. Do as each line says, then scan "
                     "again."),
    "last_scan": ("上次扫描：{when}，新增 {added}，错误 {errors}",
                  "Last scan: {when}, {added} added, {errors} errors"),
    "never_scanned": ("尚未扫描", "Not scanned yet"),
    "back": ("返回目录", "Back to the catalog"),
    "error_title": ("出错了", "Something went wrong"),
    "other_lang": ("English", "中文"),
    "show_all": ("查看全部 {n} 个", "Show all {n}"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


# phones and members (issue 14.7)
UI.update({
    "menu": ("菜单", "Menu"),
    "app_short": ("远教", "Yuanjiao"),
    "my_page": ("我的学习", "My page"),
    "coming_sessions": ("本支部即将开展的活动", "Coming sessions of the branch"),
    "no_coming_sessions": ("近期没有安排活动。", "No sessions coming up."),
    "open_notice": ("查看通知", "Open the notice"),
    "notice_not_yet": ("通知尚未发布", "Notice not published yet"),
    "cancelled_because": ("已取消：{reason}", "Cancelled: {reason}"),
    "must_watch_mine": ("必看课件（请在截止日期前收看）", "Must-watch items (watch them by the "
                        "deadline)"),
    "no_must_watch": ("目前没有必看课件。", "No must-watch items now."),
    "watched_of": ("已看 {watched}，共 {total}", "Watched {watched} of {total}"),
    "not_watched": ("还没看", "Not watched yet"),
    "watched_mine": ("我的收看记录", "What I watched"),
    "watched_his": ("收看记录", "What this member watched"),
    "watched_none": ("还没有收看记录。", "Nothing watched yet."),
    "watched_latest": ("共 {n} 次，列出最近 {shown} 次。", "{n} in all; the latest {shown} are "
                       "listed."),
    "watched_here_only": ("只记入用本人账号登录后的收看；在活动室电视上集体收看的，记在站点名下。",
                          "Only what was watched signed in as this member counts here; "
                          "watching together on the hall's TV is recorded for the station."),
    "no_items_plain": ("目录中还没有课件。请告诉站点管理员。",
                       "The catalog is empty. Tell the station administrator."),
    # Error pages for members, terminals and guests: no command line, no number or path
    # (web/errors.py); staff get the full message.
    "plain_not_found": ("找不到您要的内容。请从首页重新进入。",
                        "What you asked for is not here. Start again from the home page."),
    "plain_item_not_found": ("找不到这个课件，它可能已从课件库中移除。请回到课件目录查找。",
                             "This item is not in the library any more. Look for it in the "
                             "catalog."),
    "plain_item_missing": ("这个课件的文件暂时找不到。请告诉站点管理员。",
                           "This item's file cannot be found just now. Tell the station "
                           "administrator."),
    "plain_session_not_found": ("找不到这次活动，或它的通知还没有发布。",
                                "This session is not here, or its notice is not published "
                                "yet."),
    "plain_member_not_found": ("找不到这位党员的信息。", "This member's page is not here."),
    "plain_error": ("没能完成。请稍后再试；如仍不行，请告诉站点管理员。",
                    "That did not work. Try again later; if it still fails, tell the station "
                    "administrator."),
})


def pick_lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in {"zh", "en"}:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in {"zh", "en"}:
        return remembered
    return lang_from_accept(request.headers.get("accept-language", ""))


def lang_from_accept(header: str) -> str:
    """The first of zh/en by q-value; Chinese when the header names neither."""
    best, best_q = "zh", -1.0
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        # Earlier entries win ties, as browsers list them in preference order.
        score = q - position * 1e-6
        if primary in {"zh", "en"} and q > 0 and score > best_q:
            best, best_q = primary, score
    return best


UI.update({
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_intro": ("请用上级组织发给您的账号登录。站点电视请扫描站点二维码，不必登录。",
                    "Sign in with the account your organizer gave you. A station's TV opens "
                    "the station's QR link instead and needs no login."),
    "change_password": ("修改密码", "Change password"),
    "must_change_intro": ("这是一次性密码，请先设置您自己的密码。",
                          "This is a one-time password; set your own first."),
    "current_password": ("原密码", "Current password"),
    "new_password": ("新密码（至少 8 位）", "New password (8 characters or more)"),
    "again_password": ("再输一次新密码", "New password again"),
    "save": ("保存", "Save"),
    "organization": ("组织", "Organization"),
    "org_tree": ("组织与人员", "Organizations"),
    "children_of": ("下级{kind}", "{kind}s below"),
    "add_child": ("新建{kind}", "Add a {kind}"),
    "name": ("名称", "Name"),
    "code": ("编号（可选）", "Code (optional)"),
    "rename": ("改名", "Rename"),
    "members": ("人员", "Members"),
    "members_total": ("共 {n} 人", "{n} people"),
    "no_members": ("还没有人员。", "No members yet."),
    "person_name": ("姓名", "Name"),
    "phone": ("手机号", "Phone"),
    "category": ("类别", "Category"),
    "exempt": ("免于参加组织生活", "Exempt"),
    "note": ("备注", "Note"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "add_member": ("添加人员", "Add a member"),
    "import_roster": ("导入花名册", "Import a roster"),
    "export_xlsx": ("导出 Excel", "Export Excel"),
    "import_intro": ("上传 .xlsx 或 .csv 花名册（第一行为表头：姓名、手机号、类别、"
                     "免于参加组织生活、所属组织、备注）。先预览，确认后才写入；有错的行不会写入。",
                     "Upload an .xlsx or .csv roster (first row: Name, Phone, Category, Exempt, "
                     "Organization, Note). You see a preview first; rows with errors are not "
                     "written."),
    "upload_preview": ("上传并预览", "Upload and preview"),
    "import_preview": ("预览：新增 {new} 人，修改 {changed} 人，不变 {unchanged} 人，"
                       "有错 {errors} 行。",
                       "Preview: {new} new, {changed} changed, {unchanged} unchanged, {errors} "
                       "rows with errors."),
    "import_done": ("已导入：新增 {new} 人，修改 {changed} 人，不变 {unchanged} 人；"
                    "{errors} 行有错未导入。",
                    "Imported: {new} new, {changed} changed, {unchanged} unchanged; {errors} rows "
                    "with errors were skipped."),
    "import_apply": ("确认导入", "Import"),
    "row": ("行号", "Row"),
    "action": ("处理", "Action"),
    "reason": ("原因", "Reason"),
    "action_new": ("新增", "new"),
    "action_changed": ("修改", "changed"),
    "action_unchanged": ("不变", "unchanged"),
    "action_error": ("有错", "error"),
    "station": ("站点", "Station"),
    "station_link_intro": ("在站点电视或电脑的浏览器中打开下面的链接（或用手机扫码），"
                           "此后该终端的播放都记在本站点名下，无需登录。",
                           "Open this link in the station TV's or PC's browser (or scan the "
                           "code): from then on its playbacks are recorded for this station, "
                           "with no login."),
    "renew_token": ("更换令牌（旧二维码作废）", "Renew the token (the old code stops working)"),
    "revoke_token": ("撤销令牌", "Revoke the token"),
    "token_hidden": ("本站点的令牌仍然有效，但这台服务器无法再次显示它"
                     "（升级前发放，或由另一台服务器的密钥发放）。如需二维码，请点“更换令牌”，并用新链接重新设置终端。",
                     "This station's token still works, but this server cannot show it again "
                     "(issued before the upgrade, or under another server's key). For a QR "
                     "code, renew the token and set the terminal up with the new link."),
    "no_token": ("本站点目前没有有效令牌，终端无法以站点身份观看。",
                 "This station has no token: no terminal can watch as this station."),
    "signed_in_as": ("{name}（{role}）", "{name} ({role})"),
    "terminal_of": ("终端：{station}", "Terminal: {station}"),
    "back_to": ("返回 {name}", "Back to {name}"),
})


UI.update({
    "sessions": ("活动安排", "Study sessions"),
    "previous_month": ("上个月", "Previous month"),
    "next_month": ("下个月", "Next month"),
    "when": ("时间", "When"),
    "moved": ("（已调整）", "(moved)"),
    "notice": ("活动通知", "Notice"),
    "no_sessions": ("本月没有安排活动。", "No sessions this month."),
    "organizations": ("基层党组织", "Organizations"),
    "must_watch_pending": ("待安排的必看课件", "Must-watch items not yet scheduled"),
    "due_by": ("（{date} 前）", "(by {date})"),
    "new_session": ("新建活动", "New session"),
    "date": ("日期", "Date"),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "create": ("建立", "Create"),
    "town_rule": ("{town}统一活动日", "Town-wide activity day: {town}"),
    "year": ("年度", "Year"),
    "rule": ("规则", "Rule"),
    "minutes": ("时长（分钟）", "Minutes"),
    "apply_rule": ("为各村生成全年活动", "Make the year's sessions for every organization"),
    "rule_help": ("规则写法：day:10 每月10日；ending:6 每月6日；weekday:2:0 每月第二个星期一。"
                  "已调整过的活动不会被改动。",
                  "Rules: day:10 the 10th; ending:6 the 6th; weekday:2:0 the second Monday. "
                  "Sessions that were moved stay where they are."),
    "mark_must_watch": ("下发必看课件", "Mark an item must-watch"),
    "deadline": ("截止日期", "Deadline"),
    "applies_to": ("下发到", "For"),
    "mark": ("下发", "Mark"),
    "print_notice": ("打印通知", "Print the notice"),
    "tv_mode": ("电视播放模式", "TV mode"),
    "pick_items": ("选择课件", "Pick items"),
    "auto_compose": ("自动编排", "Auto-compose"),
    "playlist": ("播放列表", "Playlist"),
    "drop_hint": ("把左边的课件拖到这里，或拖动条目调整顺序。",
                  "Drag items here, or drag entries to reorder."),
    "discussion_minutes": ("讨论（分钟）", "Discussion (minutes)"),
    "must_watch_due": ("到期的必看课件", "Must-watch items due"),
    "rule_checks": ("规则检查", "Rule checks"),
    "notice_text": ("通知内容", "Notice text"),
    "notice_default": ("定于 {date} {start} 在村活动室开展主题党日活动，请全体党员准时参加。",
                       "The activity day is on {date} at {start} in the village hall; every "
                       "member please attend."),
    "discussion_topics": ("讨论议题", "Discussion topics"),
    "publish_notice": ("发布通知", "Publish the notice"),
    "published_at": ("已于 {at} 发布", "Published {at}"),
    "move_session": ("调整时间", "Move the session"),
    "move": ("调整", "Move"),
    "remove": ("移除", "Remove"),
    "add": ("添加", "Add"),
    "minutes_total": ("播放 {playback} 分钟，合计 {total} / {min} 分钟",
                      "Playback {playback} min, in all {total} of {min} min"),
    "no_checks": ("全部规则检查通过。", "Every rule check passes."),
    "playlist_empty": ("播放列表是空的。", "The playlist is empty."),
    "listed": ("已排入", "in the playlist"),
    "notice_heading": ("{org}主题党日活动通知", "{org}: activity day notice"),
    "notice_when": ("时间：{date} {start}—{end}", "When: {date} {start}–{end}"),
    "notice_where": ("地点：{place}", "Where: {place}"),
    "print": ("打印", "Print"),
    "next_session": ("下一次活动：", "Next session:"),
    "tv_keys": ("遥控器：方向键选择，确定键播放；播放时 ←→ 快退快进 10 秒，↑↓ 上一个/下一个，"
                "返回键回到列表。",
                "Remote: arrows choose, OK plays; while playing ←→ seek 10 s, ↑↓ previous/next, "
                "Back returns to the list."),
    "no_session_today": ("今天没有安排活动。", "No session today."),
    "no_pending": ("没有待安排的必看课件。", "No must-watch items waiting."),
    "plans_of_year": ("{year} 年学习计划", "Plans for {year}"),
    "yearly_plan": ("年度计划", "Yearly plan"),
    "month": ("月份", "Month"),
    "month_n": ("{n} 月", "Month {n}"),
    "theme_focus": ("学习重点", "Theme focus"),
    "monthly_assignment": ("月度安排", "Monthly assignment"),
    "quarterly": ("季度安排", "Quarterly arrangements"),
    "quarter_n": ("第 {n} 季度", "Quarter {n}"),
    "group": ("分组（自选课程）", "Group (electives)"),
    "accounts": ("账号管理", "Accounts"),
    "role": ("角色", "Role"),
    "scope": ("所属层级", "Scope"),
    "last_login": ("最近登录", "Last login"),
    "reset_password": ("重设密码", "Reset password"),
    "disable": ("停用", "Disable"),
    "enable": ("恢复", "Enable"),
    "add_user": ("新建账号", "Add an account"),
    "member_number": ("人员编号（党员账号必填）", "Member number (member accounts)"),
    "one_time_shown": ("账号 {user} 的一次性密码：{password}　请当面或电话告知本人，"
                       "首次登录后须修改。此密码只显示这一次。",
                       "One-time password of {user}: {password}. Tell its owner in person or "
                       "by phone; it must be changed at the first login and is shown only "
                       "this once."),
})


# Planning without friction (issue 14.5)
UI.update({
    "entered_afterwards": ("补录", "entered afterwards"),
    "entered_afterwards_help": ("这场活动是在开始之后才创建或调整的。",
                                "This session was created or moved after it started."),
    "cancelled": ("已取消", "cancelled"),
    "cancelled_on": ("本次活动已于 {at} 取消。原因：{reason}",
                     "This session was cancelled on {at}. Reason: {reason}"),
    "cancel_session": ("取消本次活动", "Cancel this session"),
    "cancel_reason": ("取消原因", "Reason"),
    "cancel_help": ("取消后活动仍保留在列表中（划线显示）并记入台账，不会被删除；"
                    "导出的播放列表随即失效。",
                    "A cancelled session stays in the list, struck through, and is written to "
                    "the ledger; it is never deleted. Its exported playlists stop working."),
    "length_against_target": ("{items} 个课件，{minutes}/{target} 分钟",
                              "{items} items, {minutes}/{target} min"),
    "checks_failing": ("{n} 项不符合", "{n} failing"),
    "checks_warnings": ("{n} 项提醒", "{n} warnings"),
    "checks_pass": ("全部符合", "all pass"),
    "notice_none": ("未发布", "none"),
    "notice_on_time": ("按时发布", "on time"),
    "notice_late": ("发布晚了", "late"),
    "open_tv": ("打开", "Open"),
    "compose_preview": ("自动编排的方案（尚未保存）", "Proposed playlist (not saved)"),
    "compose_summary": ("{n} 个课件，共 {minutes} 分钟（目标 {target} 分钟）。"
                        "采用后替换当前播放列表；放弃则保持不变。",
                        "{n} items, {minutes} min (target {target} min). Accepting replaces "
                        "the playlist; discarding keeps it as it is."),
    "compose_accept": ("采用", "Accept"),
    "compose_discard": ("放弃", "Discard"),
    "publish_over_checks": ("以下检查项不符合要求，确定仍要发布通知吗？",
                            "These checks fail. Publish the notice anyway?"),
    "publish_over_checks_help": ("仍然发布时，这些不符合项会随通知一起记入台账。",
                                 "If you publish anyway, the failing checks are written to the "
                                 "ledger with the notice."),
    "publish_anyway": ("仍然发布", "Publish anyway"),
    "rule_every_month": ("每月", "Every month on"),
    "rule_day": ("日期", "day"),
    "rule_day_suffix": ("日", "(day of month)"),
    "rule_nth": ("第几个", "which"),
    "rule_weekday": ("星期几", "weekday"),
    "rule_nth_1": ("第一个", "the first"),
    "rule_nth_2": ("第二个", "the second"),
    "rule_nth_3": ("第三个", "the third"),
    "rule_nth_4": ("第四个", "the fourth"),
    "rule_nth_5": ("第五个（没有则为最后一个）", "the fifth (else the last)"),
    "rule_ending": ("每月逢", "Every month on the first day ending in"),
    "rule_ending_digit": ("尾数", "last digit"),
    "rule_ending_suffix": ("的第一天（0 即 10 日）", "(0 means the 10th)"),
    "must_watch_item": ("课件（输入名称或拼音搜索）", "Item (search by title or pinyin)"),
    "must_watch_chosen": ("已选：《{title}》", "Chosen: “{title}”"),
    "choose": ("选择", "Choose"),
})

# The checkpoint page (issue 14.4)
UI.update({
    "ledger_page": ("台账校验", "Ledger checks"),
    "ledger_intro": ("每台服务器把播放和导出写入防篡改台账，并定时签名“检查点”。电话抽查时，"
                     "站点管理员报出最新检查点的校验码，检查人员在这里核对；也可上传"
                     "站点导出的台账文件离线校验。结论与 yuanjiao ledger verify 相同。",
                     "Each server writes playbacks and exports to a tamper-evident ledger and "
                     "signs checkpoints of it. On a telephone check the station administrator "
                     "reads out the latest checkpoint's code and the inspector checks it "
                     "here; an export of the ledger can be checked here too. The verdicts are "
                     "those of yuanjiao ledger verify."),
    "no_ledgers": ("本服务器还没有任何台账记录。", "This server holds no ledger rows yet."),
    "ledger_name": ("台账", "Ledger"),
    "ledger_rows": ("记录数", "Rows"),
    "ledger_last_row": ("最后一条记于", "Last row at"),
    "latest_checkpoint": ("最新检查点", "Latest checkpoint"),
    "checkpoint_at_row": ("第 {seq} 条（签于 {at}）", "row {seq} (signed {at})"),
    "no_checkpoint": ("尚未签名", "none signed yet"),
    "checkpoint_code": ("校验码", "Code"),
    "this_server": ("本服务器", "this server"),
    "own_public_key": ("本服务器的台账公钥：", "This server's ledger public key:"),
    "telephone_check": ("电话抽查：核对校验码", "Telephone check: verify a code"),
    "telephone_check_intro": ("输入站点在电话中报出的校验码。填写检查人员登记时记下的公钥，"
                              "可防止站点自己重新签名后冒充。",
                              "Type the code the station read out. With the public key noted "
                              "at the station's enrolment, a ledger the station re-signed "
                              "itself cannot pass."),
    "inspector_public_key": ("检查人员持有的公钥（可不填）", "Public key you hold (optional)"),
    "verify_button": ("校验", "Verify"),
    "export_check": ("校验导出文件", "Verify an export"),
    "export_check_intro": ("上传站点用 yuanjiao ledger export 导出的 .jsonl 文件；"
                           "可同时填写校验码，或上传更早的一份导出文件，以找出此后第一条被改写的记录。",
                           "Upload a .jsonl file from yuanjiao ledger export; give a code too, "
                           "or an earlier export to find the first row rewritten since."),
    "export_file": ("导出文件", "Export file"),
    "earlier_export": ("更早的导出文件", "Earlier export"),
    "optional": ("可不填", "optional"),
    "verdict_ok": ("校验通过", "Verified"),
    "verdict_failed": ("校验不通过", "Verification failed"),
})

# TV and station page (issue 14.6)
UI.update({
    "tv_paused": ("已暂停", "Paused"),
    "tv_clock": ("现在时间", "Time now"),
    "tv_progress": ("播放进度", "Progress"),
    "tv_playing_keys": ("←→ 快退/快进 10 秒　↑↓ 上一个/下一个　确定键 暂停/继续　返回键 回到列表",
                        "←→ seek 10 s · ↑↓ previous/next · OK pause/resume · Back to the list"),
    "tv_open_viewing": ("自由点播", "Open viewing"),
    "tv_open_by_theme": ("按主题选择", "by theme"),
    "tv_items_n": ("{n} 个课件", "{n} items"),
    "tv_nothing_to_watch": ("课件库里还没有可以在电视上播放的课件。",
                            "The library holds nothing a TV can play yet."),
    "tv_open_keys": ("遥控器：方向键选择，确定键播放，返回键回到电视首页。",
                     "Remote: arrows choose, OK plays, Back returns to the TV's first page."),
    "tv_back_to_tv": ("回到电视首页", "Back to the TV's first page"),
    "open_tv_mode": ("打开电视播放模式", "Open the TV mode"),
    "open_tv_mode_hint": ("（站点的电视用下面的二维码链接打开，播放记在本站点名下）",
                          "(the station's TV opens it through the QR link below, so its "
                          "playbacks are recorded for this station)"),
    "rescan_heading": ("重新扫描课件库", "Rescan the library"),
    "rescan_intro": ("新下载的课件或放入的光盘镜像，扫描后进入课件目录。扫描在服务器后台进行，"
                     "可以离开本页；同一时间只进行一次扫描。",
                     "Newly downloaded courseware and disc images enter the catalog once "
                     "scanned. The scan runs on the server: you may leave this page; one scan "
                     "runs at a time."),
    "rescan_no_roots_here": ("没有可扫描的媒体库目录：请管理员在设置 library_roots 中配置，"
                             "或先用 yuanjiao scan 目录 扫描一次。",
                             "No library folder to scan: set library_roots, or scan one with "
                             "yuanjiao scan FOLDER first."),
    "rescan_start": ("开始扫描", "Start the scan"),
    "rescan_see_catalog": ("查看课件目录", "See the catalog"),
    "rescan_idle": ("本次运行以来还没有从网页启动过扫描。", "No scan started from a page since "
                    "the server started."),
    "rescan_walking": ("正在查找文件：已找到 {found} 个……", "Looking for files: {found} "
                       "found so far…"),
    "rescan_examining": ("正在检查新的和改动过的文件：{done} / {total}",
                         "Examining new and changed files: {done} of {total}"),
})

def translator(lang: str):  # type: ignore[no-untyped-def]
    index = 1 if lang == "en" else 0

    def t(key: str, **fields: object) -> str:
        return UI[key][index].format(**fields)

    return t


class LangMiddleware:
    """Remembers ?lang=… in a cookie so every later page keeps the chosen language."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    @classmethod
    def as_middleware(cls):  # type: ignore[no-untyped-def]
        from starlette.middleware import Middleware

        return Middleware(cls)

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang")
        if asked not in {"zh", "en"}:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                cookie = f"{LANG_COOKIE}={asked}; Path=/; Max-Age=31536000; SameSite=Lax"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
