"""User-facing messages, Chinese first, English second.

Every message a user sees is a key here, with ``str.format`` fields. Errors carry the
key and the fields, and the outermost layer (CLI or page) picks the language. Each
message says what was wrong and what to do.
"""

from __future__ import annotations

from typing import Any

from catalog.terminal import printable_fields

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # configuration and database
    "config_bad_value": (
        "设置 {name} 的值“{value}”无效（来自 {origin}）。请按 docs/settings.md 改正后重试。",
        "Setting {name} has an invalid value '{value}' (from {origin}). "
        "Fix it as docs/settings.md describes and try again.",
    ),
    "config_bad_toml": (
        "配置文件 {path} 不是有效的 TOML：{detail}。请改正该文件后重试。",
        "The configuration file {path} is not valid TOML: {detail}. Fix the file and try again.",
    ),
    "config_unknown_key": (
        "配置文件 {path} 中有未知设置：{name}。可用设置见 docs/settings.md。",
        "The configuration file {path} has unknown settings: {name}. "
        "See docs/settings.md for the settings that exist.",
    ),
    "config_missing": (
        "找不到配置文件 {path}。请检查路径，或去掉 --config 使用默认设置。",
        "Configuration file {path} not found. Check the path, or drop --config to use defaults.",
    ),
    "db_unreachable": (
        "无法连接数据库 {url}：{detail}。"
        "请确认数据库服务已启动、URL 正确（--db 或 YUANJIAO_DB_URL）。",
        "Cannot connect to the database {url}: {detail}. Check that the database server is "
        "running and the URL is right (--db or YUANJIAO_DB_URL).",
    ),
    # catalog
    "item_not_found": (
        "找不到编号为 {item_id} 的课件。请用 `yuanjiao items` 查看现有编号。",
        "No item with id {item_id}. Run `yuanjiao items` to list the ids that exist.",
    ),
    "theme_unknown": (
        "未知主题“{theme}”。可选：{choices}。",
        "Unknown theme '{theme}'. Choose one of: {choices}.",
    ),
    # A parameter's error, by the kind of value it needs (issue 14.7; web/params.py).
    "bad_integer": (
        "参数 {name} 的值“{value}”无效：应为 {expected} 之间的整数。",
        "Parameter {name} has an invalid value '{value}': expected a whole number in "
        "{expected}.",
    ),
    "bad_number": (
        "参数 {name} 的值“{value}”无效：应为 {expected} 之间的数。",
        "Parameter {name} has an invalid value '{value}': expected a number in {expected}.",
    ),
    "bad_choice": (
        "参数 {name} 的值“{value}”无效：应为以下之一：{expected}。",
        "Parameter {name} has an invalid value '{value}': expected one of {expected}.",
    ),
    "method_not_allowed": (
        "这个地址不接受 {method} 请求。",
        "This address does not take {method} requests.",
    ),
    "bad_form": (
        "提交的表单无法读取（{detail}）。请重新提交。",
        "The form sent could not be read ({detail}). Send it again.",
    ),
    "page_not_found": (
        "找不到页面 {path}。请从首页重新进入。",
        "There is no page at {path}. Start again from the home page.",
    ),
    "internal_error": (
        "服务器内部错误。请把终端上的错误信息告诉管理员。",
        "Internal server error. Show the error printed on the server's terminal to the "
        "administrator.",
    ),
    # scanning: reasons a file is in the scan errors
    "scan_empty": (
        "文件是空的（0 字节），可能下载失败。请重新下载该课件。",
        "The file is empty (0 bytes), probably a failed download. Download the courseware again.",
    ),
    "scan_truncated": (
        "文件不完整：按文件头应有 {expected} 字节，实际只有 {actual} 字节。"
        "可能下载中断，请重新下载或重新拷贝。",
        "The file is incomplete: its header says {expected} bytes, but only {actual} are "
        "there. The download was probably cut off; download or copy it again.",
    ),
    "scan_not_media": (
        "无法识别为音视频：{detail}。请确认文件未损坏、扩展名正确。",
        "Not recognized as audio or video: {detail}. Check that the file is not damaged "
        "and that its extension is right.",
    ),
    "scan_no_streams": (
        "文件中没有音频或视频流。请确认这是一个课件视频。",
        "The file has no audio or video stream. Check that it is really a courseware video.",
    ),
    "scan_probe_timeout": (
        "分析文件超时（超过 {seconds} 秒）。文件可能损坏；如确实很大，请调高 probe_timeout 设置。",
        "Analysing the file took longer than {seconds} s. It may be damaged; if it is just "
        "very large, raise the probe_timeout setting.",
    ),
    "scan_bad_document": (
        "文档已损坏或不是 {expected} 格式（文件头不符）。请重新下载该文档。",
        "The document is damaged or not a {expected} file (its header does not match). "
        "Download it again.",
    ),
    "scan_unreadable": (
        "无法读取文件：{detail}。请检查文件权限和磁盘。",
        "Cannot read the file: {detail}. Check the file's permissions and the disk.",
    ),
    "scan_symlink_outside": (
        "这是指向媒体库之外（{target}）的链接，出于安全没有读取。请把文件本身放进媒体库。",
        "This is a link to a place outside the library ({target}); it was not read, for safety. "
        "Put the file itself into the library.",
    ),
    "scan_broken_symlink": (
        "链接指向的文件不存在（{target}）。请删除该链接或恢复目标文件。",
        "The link points to a file that does not exist ({target}). Remove the link or restore "
        "its target.",
    ),
    "scan_root_missing": (
        "媒体库目录 {root} 不存在或不是文件夹。请检查路径。",
        "Library root {root} does not exist or is not a folder. Check the path.",
    ),
    # CLI
    "scan_summary": (
        "扫描完成：新增 {added}，更新 {updated}，移动 {moved}，未变 {unchanged}，"
        "移除 {removed}，错误 {errors}（用时 {seconds:.1f} 秒）",
        "Scan finished: {added} added, {updated} updated, {moved} moved, {unchanged} unchanged, "
        "{removed} removed, {errors} errors ({seconds:.1f} s)",
    ),
    "scan_errors_hint": (
        "有 {errors} 个文件未能收录，运行 `yuanjiao scan-errors` 查看原因。",
        "{errors} files could not be catalogued; run `yuanjiao scan-errors` to see why.",
    ),
    "scan_no_roots": (
        "没有指定媒体库目录。请写出目录，例如 `yuanjiao scan /srv/courseware`，"
        "或在设置 library_roots 中配置。",
        "No library root given. Name one, e.g. `yuanjiao scan /srv/courseware`, "
        "or set library_roots.",
    ),
    "scan_progress": ("扫描", "Scanning"),
    "scan_interrupted": (
        "扫描被中断。已收录的条目都完整保存；再次运行同一命令即可继续。",
        "Scan interrupted. Everything catalogued so far is complete; run the same command "
        "again to carry on.",
    ),
    "theme_set": (
        "已把 {item_id}《{title}》的主题设为 {theme_label}（{theme}）；以后重新扫描也会保留。",
        "Item {item_id} '{title}' now has theme {theme_label} ({theme}); rescans keep it.",
    ),
    "theme_cleared": (
        "已取消 {item_id}《{title}》的人工主题，恢复自动分类：{theme_label}。",
        "Item {item_id} '{title}' has its manual theme removed; automatic theme: {theme_label}.",
    ),
    "serve_listening": (
        "远教已启动：在浏览器打开 http://{host}:{port}/ （按 Ctrl-C 停止）",
        "Yuanjiao is running: open http://{host}:{port}/ in a browser (Ctrl-C stops it)",
    ),
    "no_items": ("目录中还没有课件。先运行 `yuanjiao scan 目录`。",
                 "The catalog is empty. Run `yuanjiao scan FOLDER` first."),
    "no_scan_errors": ("没有扫描错误。", "No scan errors."),
}


def message(key: str, lang: str = "zh", **fields: Any) -> str:
    zh, en = MESSAGES[key]
    template = en if lang == "en" else zh
    # Fields carry titles, paths and errors from outside: no control reaches a terminal.
    return template.format(**printable_fields(fields))

MESSAGES.update({
    "tool_missing": (
        "找不到程序 {tool}。请安装 ffmpeg（Debian/Ubuntu：sudo apt-get install ffmpeg），"
        "或在设置 {setting} 中写明它的路径。",
        "Program {tool} not found. Install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg) "
        "or set its path in the {setting} setting.",
    ),
})

MESSAGES.update({
    "scan_locked": (
        "另一个扫描正在进行（锁文件 {path}）。请等它结束后再试。",
        "Another scan is running (lock file {path}). Wait for it to finish and try again.",
    ),
})

MESSAGES.update({
    "scan_internal": (
        "分析此文件时程序出错（{detail}）。已跳过；请把这条信息报告给开发者。",
        "The program failed while examining this file ({detail}). It was skipped; please "
        "report this message to the developers.",
    ),
})

MESSAGES.update({
    "scan_disc_unreadable": (
        "光盘镜像无法读取：{detail}。镜像可能不完整或已损坏，请重新拷贝或重新下载。",
        "The disc image cannot be read: {detail}. It may be incomplete or damaged; copy or "
        "download it again.",
    ),
    "scan_disc_unknown": (
        "不是可识别的光盘镜像（{detail}）。支持 DVD 视频、VCD（.cue/.bin）和数据光盘（ISO 9660）。",
        "Not a disc image yuanjiao knows ({detail}). DVD-Video, VCD (.cue/.bin) and data discs "
        "(ISO 9660) are supported.",
    ),
    "scan_disc_empty": (
        "光盘中没有可播放的节目或课件文件。请确认这是课件光盘。",
        "The disc holds no playable title or courseware file. Check that it is a courseware "
        "disc.",
    ),
    "scan_disc_damaged": (
        "光盘镜像已损坏，读不出其中的文件目录（{detail}）。镜像可能在制作、刻录或拷贝时出错，"
        "请重新拷贝或重新制作该镜像。",
        "The disc image is damaged: its list of files cannot be read ({detail}). It was "
        "probably damaged when it was made, burned or copied; copy it again or make the image "
        "again.",
    ),
    "scan_disc_refused": (
        "光盘中的 {name} 不是普通文件（{detail}），出于安全没有读取。"
        "请把文件本身（而不是链接）拷进光盘文件夹，然后重新扫描。",
        "{name} in the disc is not a plain file ({detail}); it was not read, for safety. "
        "Copy the file itself (not a link) into the disc's folder and scan again.",
    ),
})

MESSAGES.update({
    "item_gone": (
        "编号为 {item_id} 的课件文件已不在媒体库中（可能被移动或删除）。请重新扫描媒体库。",
        "The file of item {item_id} is no longer in the library (moved or deleted). "
        "Scan the library again.",
    ),
    "range_not_satisfiable": (
        "请求的字节范围超出了文件大小（{size} 字节）。",
        "The requested byte range lies beyond the end of the file ({size} bytes).",
    ),
})

MESSAGES.update({
    "transcode_busy": (
        "服务器正忙，同时转码的节目已达上限（{slots} 个）。请 {retry} 秒后再试。",
        "The server is busy: it is already converting {slots} programmes at once. Try again "
        "in {retry} seconds.",
    ),
    "transcode_failed": (
        "转码失败：{detail}。文件可能已损坏；请在扫描错误页面查看或重新扫描。",
        "Conversion failed: {detail}. The file may be damaged; check the scan errors page or "
        "scan again.",
    ),
    "not_playable": (
        "编号为 {item_id} 的课件不是音视频（{kind}），不能以 HLS 播放。",
        "Item {item_id} is not audio or video ({kind}) and cannot be played as HLS.",
    ),
    "segment_not_found": (
        "节目 {item_id} 没有第 {index} 段（共 {count} 段）。",
        "Item {item_id} has no segment {index} (it has {count}).",
    ),
})

MESSAGES.update({
    # the evidence ledger (catalog/evidence/verify.py, yuanjiao ledger …)
    "verify_ok": (
        "台账 {ledger} 校验通过：{rows} 条记录、{checkpoints} 个签名检查点，"
        "最后一条记于 {last_at}。",
        "Ledger {ledger} verified: {rows} rows, {checkpoints} signed checkpoints, the last row "
        "written at {last_at}.",
    ),
    "verify_code_matched": (
        "校验码 {code} 与第 {seq} 条记录处的签名检查点相符（签于 {at}）：到这一条为止的记录"
        "与电话抽查时相同。",
        "Code {code} is that of the signed checkpoint at row {seq} (signed at {at}): the rows "
        "up to it are those the telephone check covered.",
    ),
    "verify_ok_unsigned": (
        "其中最后 {unsigned} 条是最近几分钟写入的，尚未签名（服务器会很快签名）。",
        "The last {unsigned} of them were written in the last minutes and are not signed yet "
        "(the server signs them shortly).",
    ),
    "verify_failed": (
        "台账 {ledger} 校验不通过：第 {seq} 条：{reason}。此后的记录不可信；"
        "请保留数据库和导出文件，并报告检查人员。",
        "Ledger {ledger} failed verification at row {seq}: {reason}. Rows from there on cannot be "
        "trusted; keep the database and the export and report to the inspector.",
    ),
    "verify_failed_ledger": (
        "台账 {ledger} 校验不通过：{reason}。请保留数据库和导出文件，并报告检查人员。",
        "Ledger {ledger} failed verification: {reason}. Keep the database and the export and "
        "report to the inspector.",
    ),
    "verify_seq_gap": ("缺少这一条记录（记录被删除）", "this row is missing (a row was deleted)"),
    "verify_seq_order": ("序号重复或倒序（记录被插入或调换）",
                         "seq repeats or goes backwards (a row was inserted or moved)"),
    "verify_columns": ("记录的字段与其签入内容不符（记录被改动）",
                       "the row's columns differ from its hashed content (the row was edited)"),
    "verify_bad_prev": ("与前一条记录链接不上（记录被插入、删除或调换）",
                        "it does not link to the row before (a row was inserted, deleted or "
                        "moved)"),
    "verify_bad_hash": ("内容与其哈希不符（记录被改动）",
                        "its content does not match its hash (the row was edited)"),
    "verify_time_order": ("时间 {at} 早于前一条的 {before}（记录被倒签）",
                          "its time {at} is before the previous row's {before} (the row was "
                          "backdated)"),
    "verify_checkpoint_mismatch": (
        "与第 {checkpoint} 条处的签名检查点记载的不同（检查点之后台账被改写）",
        "it differs from what the signed checkpoint at row {checkpoint} recorded (the ledger "
        "was rewritten after the checkpoint)"),
    "verify_after_checkpoint": (
        "记于覆盖它的检查点（第 {checkpoint} 条）签名之后（记录被替换）",
        "it was written after the checkpoint that covers it (row {checkpoint}) was signed "
        "(rows were replaced)"),
    "verify_rows_missing": (
        "第 {checkpoint} 条处的检查点覆盖的记录不见了（台账被截断）",
        "rows covered by the checkpoint at row {checkpoint} are gone (the ledger was "
        "truncated)"),
    "verify_bad_signature": ("这里的检查点签名无效（检查点被伪造或改动）",
                             "the checkpoint here has an invalid signature (it was forged or "
                             "edited)"),
    "verify_other_key": ("这里的检查点由另一把密钥签名",
                         "the checkpoint here was signed with another key"),
    "verify_checkpoint_chain": ("这里的检查点与前一个检查点接不上（检查点被删除或改动）",
                                "the checkpoint here does not follow the one before (a "
                                "checkpoint was removed or edited)"),
    "verify_code_missing": (
        "按签名重新计算，{checkpoints} 个检查点（最后一个在第 {last} 条）中没有校验码为 {code} 的："
        "若校验码没有记错，电话抽查之后台账被改写并重新签名。用 --against 指定更早的导出文件"
        "（或乡镇的回执）可查出第一条被改的记录",
        "recomputed from their signatures, none of the {checkpoints} checkpoints (the last at "
        "row {last}) has the code {code}: unless the code was noted wrongly, the ledger was "
        "rewritten and re-signed after the telephone check. An earlier export (or the town's "
        "receipts) given with --against names the first row that was changed"),
    "verify_code_field": (
        "这里的检查点记着校验码 {stored}，但其签名给出的是 {signed}：检查点被重新签名，"
        "它覆盖的第 {first_seq} 条起的记录在报出 {stored} 之后被改写",
        "the checkpoint here stores the code {stored} but its signature gives {signed}: it was "
        "re-signed, and the rows it covers from row {first_seq} on were rewritten after "
        "{stored} was read out"),
    "verify_unsigned_tail": (
        "从这一条起的 {rows} 条记录（最早记于 {since}）没有任何签名检查点覆盖，"
        "而服务器会在几分钟内签名：检查点被删除，或记录是后来加进去的",
        "the {rows} rows from here on (the first written at {since}) are covered by no signed "
        "checkpoint, though the server signs within minutes: checkpoints were removed, or the "
        "rows were added afterwards"),
    "verify_empty": (
        "台账 {ledger} 没有任何记录，没有可校验的内容。"
        "请确认台账名（--ledger）或站点编号设置（station）",
        "ledger {ledger} has no rows: there is nothing to verify. Check the ledger name "
        "(--ledger) or the station setting"),
    "verify_projection": (
        "页面和 CSV 所读的表 {table} 与台账不符：{column} 台账为“{ledger_value}”，"
        "表中为“{table_value}”（表被改动）",
        "the table {table} that pages and CSV read differs from the ledger: {column} is "
        "'{ledger_value}' in the ledger, '{table_value}' in the table (the table was edited)"),
    "verify_close_unmatched": (
        "结束记录指向的开始记录（第 {open_seq} 条）不存在或已结束",
        "this close row names an open row ({open_seq}) that does not exist or is closed"),
    "verify_bad_payload": ("记录内容不是可读的播放记录（{detail}）",
                           "the row's content is not a readable playback row ({detail})"),
    "verify_earlier_missing": ("更早的副本里有这一条，现在的台账里没有（台账被截断）",
                               "the earlier copy has this row and the ledger no longer does "
                               "(it was truncated)"),
    "verify_earlier_differs": (
        "与更早的副本不同（哈希原为 {was}…，现为 {now}…）：这是第一条被改写的记录",
        "it differs from the earlier copy (hash was {was}…, now {now}…): this is the first "
        "row that was rewritten"),
    "ledger_bad_export": (
        "文件 {path} 不是远教台账导出文件：{detail}。请用 yuanjiao ledger export 重新导出。",
        "{path} is not a yuanjiao ledger export: {detail}. Export it again with yuanjiao "
        "ledger export.",
    ),
    "ledger_checkpoint_made": (
        "已签名检查点：台账 {ledger} 第 {seq} 条。电话校验码：{code}",
        "Checkpoint signed: ledger {ledger}, row {seq}. Telephone code: {code}",
    ),
    "ledger_checkpoint_none": (
        "台账 {ledger} 自上一个检查点以来没有新记录，未生成新的检查点。",
        "Ledger {ledger} has no rows since the last checkpoint; no new checkpoint was made.",
    ),
    "ledger_exported": (
        "已导出台账 {ledger}：{rows} 条记录、{checkpoints} 个检查点 → {path}",
        "Exported ledger {ledger}: {rows} rows, {checkpoints} checkpoints → {path}",
    ),
})

MESSAGES.update({
    "ledger_no_playbacks": ("站点 {ledger} 还没有播放记录。",
                            "Station {ledger} has no playbacks yet."),
    "ledger_playing": ("播放中", "playing"),
    "ledger_failing_refused": (
        "播放记录暂时写不进数据库（{error}），为了不留下没有记录的播放，暂停播放。"
        "请检查数据库（磁盘空间、数据库服务），恢复后会自动继续；已排队的记录不会丢失。",
        "Playback records cannot be written to the database right now ({error}), so nothing "
        "is played unrecorded. Check the database (disk space, the database server); playing "
        "resumes by itself once it is back, and no queued record is lost."),
    "ledger_others": ("此数据库中的其他台账：{ledgers}",
                      "Other ledgers in this database: {ledgers}"),
})

MESSAGES.update({
    "reindex_done": ("搜索索引已重建：{count} 个课件（用时 {seconds} 秒）。",
                     "Search index rebuilt: {count} items ({seconds} s)."),
})

MESSAGES.update({
    "bad_category": ("人员类别“{value}”无法识别，应为：{expected}。",
                     "Unknown category “{value}”; use one of: {expected}."),
    "bad_name": ("{field}“{value}”不能为空，也不能超过 {limit} 个字。",
                 "{field} “{value}” must not be empty or longer than {limit} characters."),
    "bad_phone": ("手机号“{value}”不是 11 位手机号码（如 13812345678）。",
                  "Phone “{value}” is not an 11-digit mobile number (such as 13812345678)."),
    "bad_exempt": ("“免于参加组织生活”一栏应填“是”或“否”，而不是“{value}”。",
                   "The exempt column takes yes or no, not “{value}”."),
    "node_no_children": ("“{name}”是终端站点，下面不能再建下级。",
                         "“{name}” is a station; nothing can be created under it."),
    "node_exists": ("“{parent}”下已有“{name}”，请换一个名称。",
                    "“{parent}” already has a “{name}”; choose another name."),
    "code_exists": (
        "编号 {code} 已被其他站点使用。",
        "Code {code} is already used by another node."),
    "node_not_found": (
        "没有编号为 {node_id} 的组织或站点。",
        "No organization or station {node_id}."),
    "member_not_found": ("没有编号为 {member_id} 的人员。", "No member {member_id}."),
    "members_need_organization": ("人员只能加在基层党组织下，“{name}”不是基层党组织。",
                                  "Members belong to an organization; “{name}” is not one."),
    "roster_no_name_column": (
        "表格第一行没有“姓名”一栏（找到的是：{found}）。请用导出的花名册作模板。",
                              "The first row has no Name column (found: {found}). Start from an "
                              "exported roster."),
    "roster_empty": ("表格是空的。", "The sheet is empty."),
    "roster_too_long": ("表格超过 {limit} 行，请分成几个文件导入。",
                        "More than {limit} rows; split the file."),
    "roster_too_big": ("文件超过 {limit_mb} MB。", "The file is larger than {limit_mb} MB."),
    "roster_bad_type": ("“{filename}”不是 .xlsx 或 .csv 文件。请在 Excel 中另存为这两种格式之一。",
                        "“{filename}” is not an .xlsx or .csv file. Save it as one of these "
                        "from Excel."),
    "roster_unreadable": ("无法读取这个文件（{detail}）。请在 Excel 中重新另存为 .xlsx。",
                          "Cannot read this file ({detail}). Save it again as .xlsx from Excel."),
    "roster_unknown_org": ("在“{scope}”下找不到组织“{organization}”。请填写组织的全称。",
                           "No organization “{organization}” under “{scope}”. Use its full "
                           "name."),
    "roster_duplicate": ("与第 {other} 行是同一个人（手机号或姓名相同）。",
                         "Same person as row {other} (same phone, or same name)."),
    "roster_upload_gone": (
        "预览已过期，请重新上传文件。",
        "The preview expired; upload the file again."),
})

MESSAGES.update({
    "weak_password": ("密码至少 {min} 位，且不能与用户名相同。",
                      "A password needs at least {min} characters and must differ from the "
                      "user name."),
    "bad_role": (
        "角色“{value}”无效，应为：{expected}。",
        "Unknown role “{value}”; use one of: {expected}."),
    "bad_username": ("用户名“{value}”无效：不能为空、不能含空格、不超过 64 个字符。",
                     "User name “{value}” is invalid: not empty, no spaces, at most 64 "
                     "characters."),
    "user_exists": ("用户 {username} 已存在。", "User {username} already exists."),
    "user_not_found": ("没有用户 {username}。", "No user {username}."),
    "role_node_mismatch": ("“{role}”账号只能设在这些层级：{kinds}；“{node}”不是。"
                           "请另选层级或角色。",
                           "A {role_en} account belongs at these levels: {kinds_en}; “{node}” "
                           "is not one. Choose another level or role."),
    "member_account_needs_member": ("党员账号 {username} 需要对应本组织花名册中的一个人员。",
                                    "Member account {username} must name a member of its "
                                    "organization's roster."),
    "login_refused": ("用户名或密码不对。", "Wrong user name or password."),
    "login_throttled": ("登录失败次数过多，请 {minutes} 分钟后再试，或请管理员重置密码。",
                        "Too many failed logins; try again in {minutes} minutes or ask an "
                        "administrator to reset the password."),
    "login_required": ("请先登录。", "Please sign in first."),
    "forbidden": ("您的账号没有权限做这件事。如需要，请联系上级组织员或管理员。",
                  "Your account may not do this. Ask your organizer or administrator if you "
                  "need it."),
    "csrf_failed": ("表单已过期或来源不明，请刷新页面后重试。",
                    "The form expired or came from another site; reload the page and try "
                    "again."),
    "wrong_password": ("原密码不对。", "The current password is wrong."),
    "passwords_differ": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "body_too_large": ("提交的内容太大（上限 {limit_mb} MB）。",
                       "The request is too large (limit {limit_mb} MB)."),
})

MESSAGES.update({
    "bad_filter": ("筛选条件 {name} 太长（最多 {limit} 个字符）。",
                   "The filter {name} is too long (at most {limit} characters)."),
    "bad_view_report": ("播放器的报告中“{field}”一项无效。", "The player's report has an invalid "
                        "“{field}”."),
    "bad_json": ("请求内容不是有效的 JSON 对象。", "The request body is not a JSON object."),
    "export_token_invalid": ("这个导出的播放列表已失效（站点令牌已更换或撤销，或活动已取消）。"
                             "请重新导出。",
                             "This exported playlist no longer works (the station token was "
                             "renewed or revoked, or the session was cancelled). Export it "
                             "again."),
    "export_outside_day": ("导出的播放列表只能在活动 {session_id} 当天播放。",
                           "An exported playlist plays only on the day of session "
                           "{session_id}."),
    "export_item_not_in_session": ("这个课件不在活动 {session_id} 的播放列表中。",
                                   "This item is not on the playlist of session "
                                   "{session_id}."),
    "station_token_unknown": ("这个站点链接已失效（令牌已更换或撤销）。"
                              "请向站点管理员索取新的二维码。",
                              "This station link no longer works (its token was renewed or "
                              "revoked). Ask the station administrator for the new QR code."),
    "must_change_password": ("请先修改初始密码。", "Change your one-time password first."),
})

MESSAGES.update({
    "node_path_not_found": ("找不到“{path}”中的“{name}”。用 yuanjiao org list 查看组织树。",
                            "“{name}” in “{path}” not found. See the tree with "
                            "yuanjiao org list."),
    "user_added": ("已新建账号 {username}（{role}，{node}）。",
                   "Added account {username} ({role}, {node})."),
    "one_time_password": ("一次性密码：{password}（首次登录后须修改）",
                          "One-time password: {password} (to be changed at first login)"),
    "password_set": ("已重设 {username} 的密码，其所有登录已失效。",
                     "Password of {username} set; all its sessions ended."),
    "user_disabled": ("已停用账号 {username}。", "Disabled account {username}."),
    "user_enabled": ("已恢复账号 {username}。", "Enabled account {username}."),
})

MESSAGES.update({
    "rule_length": (
        "活动时长 {minutes} 分钟（播放加讨论），不足半天的 {min} 分钟。请添加课件或延长讨论。",
                    "The session lasts {minutes} minutes (playback and discussion), short of "
                    "the half day of {min}. Add items or discussion time."),
    "rule_themes": ("播放列表只涉及 {count} 个学习主题，至少应有 2 个（专题活动除外）。",
                    "The playlist covers {count} learning theme(s); at least 2 are needed "
                    "(special sessions excepted)."),
    "rule_must_watch": ("必看课件《{title}》须在 {deadline} 前收看，尚未排入。",
                        "Must-watch “{title}” is due by {deadline} and is not scheduled."),
    "rule_missing": ("课件《{title}》已不在课件库中（文件丢失）。",
                     "“{title}” is no longer in the library (its file is missing)."),
    "rule_unplayable": ("课件《{title}》是文档或没有时长，不能自动播放。",
                        "“{title}” is a document or has no duration; it cannot play by itself."),
    "rule_overlap": ("与本站点的另一场活动《{title}》时间重叠。",
                     "Overlaps “{title}”, another session at this station."),
    "rule_notice": ("活动通知尚未在开始前发布。", "The notice is not published before the start."),
    "bad_session_kind": ("活动类型“{value}”无效，应为：{expected}。",
                         "Unknown session kind “{value}”; use one of: {expected}."),
    "bad_topic": ("讨论议题“{value}”无效，应为：{expected}。",
                  "Unknown topic “{value}”; use one of: {expected}."),
    "bad_rule": ("活动日规则“{value}”无效。例：day:10（每月10日）、ending:6（每月6日）、"
                 "weekday:2:0（每月第二个星期一）。",
                 "Activity-day rule “{value}” is invalid. Examples: day:10, ending:6, "
                 "weekday:2:0 (the second Monday)."),
    "rule_needs_town": ("活动日规则只能由乡镇统一设置，“{name}”不是乡镇。",
                        "Activity-day rules are set for a town; “{name}” is not one."),
    "session_not_found": ("没有编号为 {session_id} 的活动。", "No study session {session_id}."),
    "session_needs_organization": ("活动属于基层党组织，“{name}”不是基层党组织。",
                                   "A session belongs to an organization; “{name}” is not one."),
    "bad_span": ("开始 {starts} 与结束 {ends} 不对：结束须晚于开始，且一场不超过 12 小时。",
                 "Start {starts} and end {ends} do not fit: the end must follow the start, "
                 "within 12 hours."),
    "playlist_too_long": (
        "播放列表最多 {limit} 个课件。",
        "A playlist holds at most {limit} items."),
    "bad_deadline": ("截止日期 {deadline} 早于下发日期 {issued}。",
                     "The deadline {deadline} is before the issue date {issued}."),
    "must_watch_scope": ("必看课件只能下发给“{name}”以下的组织。",
                         "Must-watch items can only be sent to organizations below “{name}”."),
    "compose_must_watch": ("必看课件", "must-watch"),
    "compose_theme": (
        "保证该主题至少 {minutes} 分钟",
        "keeps this theme at {minutes} minutes or more"),
    "compose_fill": ("补足总时长", "fills the length"),
})

MESSAGES.update({
    "bad_date": ("{name} 的日期“{value}”无效，应写成 2027-03-10。",
                 "Date {name} “{value}” is invalid; write it as 2027-03-10."),
    "bad_time": ("{name} 的时间“{value}”无效，应写成 08:30。",
                 "Time {name} “{value}” is invalid; write it as 08:30."),
    # planning without friction (issue 14.5)
    "session_cancelled": ("活动“{title}”已取消，不能再修改。",
                          "Session “{title}” was cancelled and can no longer be changed."),
    "cancel_reason_needed": ("请写明取消的原因（最多 {limit} 个字）。",
                             "Give the reason for cancelling (at most {limit} characters)."),
    "must_watch_item_unclear": ("没有找到唯一的课件“{query}”，请从搜索结果中选一个。",
                                "“{query}” names no single item; choose one from the search "
                                "results."),
    "must_watch_item_needed": ("请搜索并选择一个课件。", "Search for an item and choose it."),
    "bad_rule_day": ("日期应在 1 到 31 之间。", "The day must be between 1 and 31."),
    "bad_rule_ending": ("尾数应在 0 到 9 之间。", "The last digit must be between 0 and 9."),
})

# TV and station page (issue 14.6)
MESSAGES.update({
    "rescan_no_roots": (
        "没有可扫描的媒体库目录。请在设置 library_roots 中配置，或先用 `yuanjiao scan 目录` "
        "扫描一次。",
        "No library folder to scan. Set library_roots, or scan one with "
        "`yuanjiao scan FOLDER` first."),
    "rescan_closing": ("服务器正在停止，不能开始扫描。",
                       "The server is stopping: no scan starts now."),
    "rescan_cancelled": (
        "服务器停止，扫描中断。已收录的条目都完整保存；再次扫描即可继续。",
        "The server stopped and the scan with it. Everything catalogued so far is complete; "
        "scan again to carry on."),
    "rescan_failed": (
        "扫描时程序出错（{detail}）。请查看服务器日志，并把这条信息报告给开发者。",
        "The scan failed ({detail}). See the server's log and report this to the developers."),
})
