"""Evidence photos (issue 17.3): a JPEG with GPS EXIF is served without it, its EXIF time
becomes the row's claimed time, HEIC from phones is taken, what is not a photo is refused,
and a kept file changed afterwards is named by `ledger verify`."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

from PIL import Image
from yj_hall import JSON, LEDGER, Hall

GPS_IFD, EXIF_IFD = 0x8825, 0x8769


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (30, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif.get_ifd(EXIF_IFD)[0x9003] = "2026:12:01 09:12:30"  # DateTimeOriginal
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (30.0, 15.0, 0.0)  # latitude
    gps[3], gps[4] = "E", (114.0, 17.0, 0.0)  # longitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _upload(hall: Hall, session_id: int, data: bytes, name: str, csrf: str) -> Any:
    return hall.client.post(f"/api/sessions/{session_id}/photos", headers={
        **JSON, "x-csrf-token": csrf}, files={"file": (name, data, "application/octet-stream")})


def test_a_jpeg_with_gps_is_served_without_it_and_kept_by_its_digest(hall: Hall) -> None:
    ended = hall.session(timedelta(days=-2), hours=2)
    original = _jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as check:  # the fixture does carry GPS
        assert check.getexif().get_ifd(GPS_IFD)
    csrf = hall.sign_in("dongcun")
    kept = _upload(hall, ended, original, "IMG_0001.jpg", csrf)
    assert kept.status_code == 201, kept.text
    body = kept.json()
    assert body["sha256"] == hashlib.sha256(original).hexdigest() and body["exif_time"]
    listed = hall.client.get(f"/api/sessions/{ended}/photos", headers=JSON).json()["photos"]
    assert listed[0]["at_event"].startswith("2026-12-01T09:12:30")
    for query in ("", "?size=thumb"):
        served = hall.client.get(f"/sessions/{ended}/photos/{body['sha256']}.jpg{query}")
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.content != original
        with Image.open(io.BytesIO(served.content)) as image:
            assert not image.getexif(), dict(image.getexif())
            assert "exif" not in image.info and image.format == "JPEG"
        assert b"TestPhone" not in served.content
    page = hall.client.get(f"/sessions/{ended}")
    assert f"/sessions/{ended}/photos/{body['sha256']}.jpg?size=thumb" in page.text
    # Another session's URL for the same photo does not exist.
    other = hall.session(timedelta(days=-1), hours=2)
    hall.sign_in("dongcun")
    assert hall.client.get(f"/sessions/{other}/photos/{body['sha256']}.jpg").status_code == 404


def test_heic_is_taken_and_what_is_not_a_photo_is_refused(hall: Hall) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    running = hall.session(timedelta(minutes=-30))
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (10, 10, 200)).save(out, "HEIF")
    csrf = hall.sign_in("dongcun")
    heic = _upload(hall, running, out.getvalue(), "IMG_0002.HEIC", csrf)
    assert heic.status_code == 201, heic.text
    assert heic.json()["content_type"] == "image/heic" and not heic.json()["exif_time"]
    for bad in (b"not an image at all", b"\xff\xd8\xff\xe0truncated", b""):
        refused = _upload(hall, running, bad, "x.jpg", csrf)
        assert refused.status_code == 400 and refused.json()["error"] == "photo_bad_type"


def test_ledger_verify_names_a_photo_file_changed_afterwards(hall: Hall) -> None:
    from click.testing import CliRunner

    from web.cli import cli

    running = hall.session(timedelta(minutes=-30))
    csrf = hall.sign_in("dongcun")
    digest = _upload(hall, running, _jpeg_with_gps(), "a.jpg", csrf).json()["sha256"]
    env = {"YUANJIAO_DATA_DIR": str(hall.settings.data_dir),
           "YUANJIAO_DB_URL": hall.settings.db_url, "YUANJIAO_STATION": LEDGER}
    assert CliRunner().invoke(cli, ["ledger", "verify"], env=env).exit_code == 0
    served = next((hall.settings.data_dir / "evidence-photos").rglob(f"{digest}.jpg"))
    served.write_bytes(served.read_bytes()[:-10])
    done = CliRunner().invoke(cli, ["ledger", "verify"], env=env)
    assert done.exit_code != 0 and "照片" in done.output, done.output
