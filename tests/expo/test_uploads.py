"""Exhibitors' uploads are judged by their content, refused with a message that says what to do,
and pictures keep only their pixels. Every sample file is made here, tiny, by the test itself."""

import io
import re

import av
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image
from pypdf import PdfWriter

from bizweek.expo.uploads import (
    THUMBNAIL_SIZE,
    clean_image,
    clean_pdf,
    clean_video,
    random_name,
)
from bizweek.richtext import plain_to_html, sanitize_html

IMAGE_FORMATS = "JPEG, PNG or WebP"
VIDEO_FORMATS = "MP4 (H.264) or WebM (VP8/VP9/AV1)"
RED, BLUE = (220, 20, 20), (20, 20, 220)


# --- sample files -----------------------------------------------------------------------------


def picture_bytes(fmt="JPEG", size=(64, 48), mode="RGB", color=(200, 120, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def upload(data: bytes, name="file.bin", content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(check, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check(*args, **kwargs)
    return info.value


def message(error: ValidationError) -> str:
    return error.messages[0]


def pdf_bytes(pages=1, user_password=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except (av.FFmpegError, ValueError):
        return False
    return True


def video_bytes(container: str, encoder: str) -> bytes:
    """One second of 160x120 video at 10 frames per second: a few kilobytes."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as output:
        stream = output.add_stream(encoder, rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_image(Image.new("RGB", (160, 120), (i * 25, 90, 200)))
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return out.getvalue()


@pytest.fixture(scope="module")
def mp4_h264():
    """H.264 where this FFmpeg can encode it; otherwise MPEG-4 Part 2, which must be refused."""
    encoder = "libx264" if has_encoder("libx264") else "mpeg4"
    return encoder, video_bytes("mp4", encoder)


# --- pictures ---------------------------------------------------------------------------------


def test_clean_image_photo_reencoded_as_jpeg():
    photo = picture_bytes("JPEG", size=(1200, 900), quality=95)
    result = clean_image(upload(photo, "holiday.jpeg", "image/jpeg"))
    assert result.extension == ".jpg"
    assert (result.width, result.height) == (1200, 900)
    with Image.open(io.BytesIO(result.content.read())) as stored:
        assert stored.format == "JPEG" and stored.mode == "RGB" and stored.size == (1200, 900)
    with Image.open(io.BytesIO(result.thumbnail.read())) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.width <= THUMBNAIL_SIZE[0] and thumb.height <= THUMBNAIL_SIZE[1]
        assert thumb.size == (480, 360)


def test_clean_image_user_file_name_not_kept():
    result = clean_image(upload(picture_bytes("PNG"), "../../etc/passwd.png", "image/png"))
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", result.content.name)
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", result.thumbnail.name)


def test_clean_image_exif_gps_stripped_and_orientation_applied():
    # Left half red, right half blue, stored sideways: orientation 6 means "turn 90° clockwise".
    sideways = Image.new("RGB", (200, 100), BLUE)
    sideways.paste(Image.new("RGB", (100, 100), RED), (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)})
    out = io.BytesIO()
    sideways.save(out, "JPEG", exif=exif.tobytes(), quality=95, comment=b"shot at home")
    original = out.getvalue()
    assert b"SecretCam" in original and b"shot at home" in original

    result = clean_image(upload(original, "IMG_0001.JPG", "image/jpeg"))

    stored_bytes = result.content.read()
    assert b"Exif" not in stored_bytes and b"SecretCam" not in stored_bytes
    assert b"shot at home" not in stored_bytes
    with Image.open(io.BytesIO(stored_bytes)) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info and "icc_profile" not in stored.info
        assert stored.size == (100, 200) == (result.width, result.height)
        top, bottom = stored.getpixel((50, 20)), stored.getpixel((50, 180))
    assert top[0] > 150 and top[2] < 100  # red on top: the picture stands upright
    assert bottom[2] > 150 and bottom[0] < 100
    assert b"Exif" not in result.thumbnail.read()


def test_clean_image_transparent_png_stays_png():
    logo = picture_bytes("PNG", size=(80, 40), mode="RGBA", color=(10, 200, 10, 0))
    result = clean_image(upload(logo, "logo.png", "image/png"))
    assert result.extension == ".png"
    with Image.open(io.BytesIO(result.content.read())) as stored:
        assert stored.format == "PNG" and stored.mode == "RGBA"
        assert stored.getpixel((5, 5))[3] == 0
    with Image.open(io.BytesIO(result.thumbnail.read())) as thumb:
        assert thumb.format == "PNG"


def test_clean_image_webp_stays_webp():
    result = clean_image(upload(picture_bytes("WEBP", size=(600, 600)), "banner.webp"))
    assert result.extension == ".webp"
    with Image.open(io.BytesIO(result.thumbnail.read())) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (480, 480)


def test_clean_image_animated_gif_keeps_first_frame():
    frames = [Image.new("P", (30, 30), index) for index in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    result = clean_image(upload(out.getvalue(), "anim.gif", "image/gif"))
    assert result.extension == ".png" and (result.width, result.height) == (30, 30)
    with Image.open(io.BytesIO(result.content.read())) as stored:
        assert getattr(stored, "n_frames", 1) == 1


def test_clean_image_oversized_refused_with_limit():
    error = refusal(clean_image, upload(b"\xff" * 5000, "big.jpg"), max_bytes=2048)
    assert error.code == "too_large"
    assert message(error) == "The file is too large (4.9 KB); the limit is 2 KB."


def test_clean_image_oversized_refused_before_reading():
    class HugeUpload(io.BytesIO):
        size = 12_900_000

        def read(self, *args):
            raise AssertionError("read an upload already known to be too large")

    error = refusal(clean_image, HugeUpload())
    assert error.code == "too_large"
    assert message(error) == "The file is too large (12.4 MB); the limit is 10 MB."


def test_clean_image_oversized_refused_by_setting(settings):
    settings.BIZWEEK_MAX_IMAGE_BYTES = 1024
    error = refusal(clean_image, io.BytesIO(picture_bytes("BMP", size=(64, 64))))
    assert error.code == "too_large"
    assert "the limit is 1 KB" in message(error)


def test_clean_image_pdf_refused_as_not_an_image():
    error = refusal(clean_image, upload(pdf_bytes(), "photo.jpg", "image/jpeg"))
    assert error.code == "not_an_image"
    assert IMAGE_FORMATS in message(error)


def test_clean_image_svg_refused():
    svg = (
        b'\xef\xbb\xbf  \n<?xml version="1.0"?>\n<!-- a logo -->\n'
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    error = refusal(clean_image, upload(svg, "logo.png", "image/png"))
    assert error.code == "svg_refused"
    assert message(error) == "SVG images are not accepted; upload a PNG or JPEG instead."


def test_clean_image_html_refused():
    html = b"\n<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    error = refusal(clean_image, upload(html, "banner.jpg", "image/jpeg"))
    assert error.code == "html_refused"
    assert IMAGE_FORMATS in message(error)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_clean_image_truncated_refused_as_corrupt(fmt):
    whole = picture_bytes(fmt, size=(300, 200), color=(90, 160, 30))
    if fmt == "JPEG":  # noise, so the pixel data is long enough to cut
        noisy = Image.effect_noise((300, 200), 80).convert("RGB")
        out = io.BytesIO()
        noisy.save(out, "JPEG")
        whole = out.getvalue()
    error = refusal(clean_image, upload(whole[: len(whole) // 2], f"cut.{fmt.lower()}"))
    assert error.code == "corrupt"
    assert "damaged" in message(error) and IMAGE_FORMATS in message(error)


def test_clean_image_decompression_bomb_refused():
    # A PNG of one colour compresses to almost nothing, whatever its pixel count.
    bomb = picture_bytes("PNG", size=(200, 200), mode="L", color=0)
    error = refusal(clean_image, upload(bomb, "bomb.png"), max_pixels=10_000)
    assert error.code == "too_many_pixels"
    assert message(error) == (
        "This picture is too big (200 × 200 pixels); the limit is 0.01 megapixels. "
        "Make it smaller and upload it again."
    )


# --- PDF --------------------------------------------------------------------------------------


def test_clean_pdf_valid_counts_pages():
    brochure = upload(pdf_bytes(pages=3), "brochure.pdf", "application/pdf")
    assert clean_pdf(brochure) == 3
    assert brochure.read(5) == b"%PDF-"  # left at the start, ready to be stored


def test_clean_pdf_oversized_refused_with_limit():
    error = refusal(clean_pdf, upload(pdf_bytes(pages=2), "brochure.pdf"), max_bytes=100)
    assert error.code == "too_large"
    assert "the limit is 100 bytes" in message(error)


def test_clean_pdf_png_refused_as_not_a_pdf():
    error = refusal(clean_pdf, upload(picture_bytes("PNG"), "brochure.pdf", "application/pdf"))
    assert error.code == "not_a_pdf"
    assert "Upload a PDF document" in message(error)


def test_clean_pdf_html_refused():
    html = b"<html><body>%PDF-1.7 <script>alert(1)</script></body></html>"
    error = refusal(clean_pdf, upload(html, "brochure.pdf"))
    assert error.code == "html_refused"
    assert "PDF" in message(error)


def test_clean_pdf_truncated_refused_as_corrupt():
    whole = pdf_bytes(pages=2)
    error = refusal(clean_pdf, upload(whole[: len(whole) * 2 // 3], "brochure.pdf"))
    assert error.code == "corrupt"
    assert message(error).startswith("This PDF could not be opened; it may be damaged.")


def test_clean_pdf_password_protected_refused():
    error = refusal(clean_pdf, upload(pdf_bytes(user_password="secret"), "brochure.pdf"))
    assert error.code == "encrypted"
    assert "password" in message(error) and "PDF" in message(error)


def test_clean_pdf_encrypted_without_password_accepted():
    # Restricting printing or copying encrypts a PDF that still opens for everyone.
    assert clean_pdf(upload(pdf_bytes(pages=2, user_password=""), "brochure.pdf")) == 2


# --- video ------------------------------------------------------------------------------------


def test_clean_video_h264_mp4_accepted(mp4_h264):
    encoder, data = mp4_h264
    if encoder != "libx264":
        error = refusal(clean_video, upload(data, "promo.mp4", "video/mp4"))
        assert error.code == "unsupported_codec" and VIDEO_FORMATS in message(error)
        return
    info = clean_video(upload(data, "promo.mp4", "video/mp4"))
    assert (info.container, info.video_codec) == ("mp4", "h264")
    assert (info.width, info.height) == (160, 120)
    assert info.duration == pytest.approx(1.0, abs=0.2)


@pytest.mark.parametrize(("encoder", "codec"), [("libvpx", "vp8"), ("libvpx-vp9", "vp9")])
def test_clean_video_webm_accepted(encoder, codec):
    if not has_encoder(encoder):
        pytest.skip(f"this FFmpeg has no {encoder} encoder")
    info = clean_video(upload(video_bytes("webm", encoder), "promo.webm", "video/webm"))
    assert (info.container, info.video_codec) == ("webm", codec)
    assert (info.width, info.height) == (160, 120)
    assert info.duration == pytest.approx(1.0, abs=0.2)


def test_clean_video_on_disk_upload_accepted(mp4_h264):
    encoder, data = mp4_h264
    on_disk = TemporaryUploadedFile("promo.mp4", "video/mp4", len(data), None)
    on_disk.write(data)
    on_disk.flush()
    try:
        if encoder == "libx264":
            assert clean_video(on_disk).video_codec == "h264"
        else:
            assert refusal(clean_video, on_disk).code == "unsupported_codec"
    finally:
        on_disk.close()


def test_clean_video_mpeg4_part2_refused_as_unsupported_codec():
    error = refusal(clean_video, upload(video_bytes("mp4", "mpeg4"), "old.mp4", "video/mp4"))
    assert error.code == "unsupported_codec"
    assert "MPEG4" in message(error) and VIDEO_FORMATS in message(error)


def test_clean_video_oversized_refused_with_limit(mp4_h264):
    _, data = mp4_h264
    error = refusal(clean_video, io.BytesIO(data), max_bytes=1024)
    assert error.code == "too_large"
    assert "the limit is 1 KB" in message(error)


def test_clean_video_jpeg_renamed_refused_as_not_a_video():
    error = refusal(clean_video, upload(picture_bytes("JPEG"), "promo.mp4", "video/mp4"))
    assert error.code == "not_a_video"
    assert VIDEO_FORMATS in message(error)


def test_clean_video_html_refused():
    error = refusal(clean_video, upload(b"<html><body>promo</body></html>", "promo.webm"))
    assert error.code == "html_refused"
    assert VIDEO_FORMATS in message(error)


def test_clean_video_truncated_refused_as_corrupt(mp4_h264):
    _, data = mp4_h264
    error = refusal(clean_video, upload(data[: len(data) // 2], "promo.mp4", "video/mp4"))
    assert error.code == "corrupt"
    assert message(error) == (
        "This video could not be read. Upload an MP4 (H.264) or WebM (VP8/VP9/AV1) file."
    )


# --- names ------------------------------------------------------------------------------------


def test_random_name_fresh_each_time():
    first, second = random_name(".PNG"), random_name("png")
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{32}\.png", first) and second.endswith(".png")


def test_random_name_unsafe_extension_refused():
    with pytest.raises(ValueError, match="unsafe"):
        random_name("./../x")


# --- rich text --------------------------------------------------------------------------------


def test_sanitize_html_script_and_style_removed_with_content():
    cleaned = sanitize_html("<p>Hello<script>alert(1)</script><style>p{}</style></p>")
    assert cleaned == "<p>Hello</p>"


def test_sanitize_html_javascript_link_removed():
    cleaned = sanitize_html('<a href="javascript:alert(1)" onclick="x()">click</a>')
    assert "javascript" not in cleaned and "onclick" not in cleaned
    assert "href" not in cleaned and "click</a>" in cleaned


def test_sanitize_html_allowed_tags_kept():
    html = (
        "<h3>Title</h3><h4>Sub</h4><p><strong>a</strong><b>b</b><em>c</em><i>d</i><u>e</u><br>"
        "</p><ul><li>one</li></ul><ol><li>two</li></ol><blockquote>q</blockquote>"
    )
    assert sanitize_html(html) == html


def test_sanitize_html_links_get_rel_and_only_web_or_mail():
    cleaned = sanitize_html(
        '<a href="https://example.com/x" target="_blank">web</a>'
        '<a href="mailto:sales@example.com">mail</a><a href="/admin/">relative</a>'
        '<a href="data:text/html,x">data</a>'
    )
    assert '<a href="https://example.com/x" rel="nofollow noopener">web</a>' in cleaned
    assert '<a href="mailto:sales@example.com" rel="nofollow noopener">mail</a>' in cleaned
    assert "/admin/" not in cleaned and "data:" not in cleaned and "target" not in cleaned


def test_sanitize_html_other_tags_stripped_text_kept():
    cleaned = sanitize_html('<div class="x"><img src=x onerror=alert(1)><table><td>cell</td>')
    assert cleaned == "cell"


def test_plain_to_html_paragraphs_and_line_breaks():
    text = "Line one\r\nLine <two>\n\n  \nSecond & last\n"
    assert plain_to_html(text) == "<p>Line one<br>\nLine &lt;two&gt;</p>\n<p>Second &amp; last</p>"
