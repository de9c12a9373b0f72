"""Checks for what exhibitors upload to the hall: photos, logos, banners, videos and brochures.

Every check looks at the file's content, never at its name or the browser's content type, and
every refusal is a `ValidationError` with a stable `code` and a message in the user's language
that says what is accepted. Pictures are decoded and re-encoded, so what reaches the disk is
pixels only: no EXIF (camera serial numbers, GPS positions), no comments, no ICC profile and no
bytes a browser could take for a script. PDFs and videos are stored as uploaded once they have
been opened and proven readable.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import struct
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import av
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import DependencyError

MiB = 2**20
DEFAULT_MAX_IMAGE_BYTES = 10 * MiB
DEFAULT_MAX_PDF_BYTES = 20 * MiB
DEFAULT_MAX_VIDEO_BYTES = 200 * MiB
THUMBNAIL_SIZE = (480, 480)
JPEG_QUALITY = 88

# Decoders Pillow may use on uploads; anything else is "not a picture" without being parsed.
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG covers MPO
# Pillow raises more than OSError on hostile input; all of these mean "cannot be decoded".
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    struct.error,
)
_SNIFF_BYTES = 4096
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<meta")

# Codec names as FFmpeg's codec ids call them (not the decoder's name, e.g. "libdav1d").
MP4_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1"})
WEBM_CODECS = frozenset({"vp8", "vp9", "av1"})
# ISO base media boxes that may open an MP4 or QuickTime file.
_MP4_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})
# HEIF/AVIF pictures share the MP4 container; they are stills, not videos.
_IMAGE_BRANDS = frozenset({b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_COPY_CHUNK = MiB


@dataclass
class CleanImage:
    """A re-encoded picture ready to store: pixels only, under a name of our choosing."""

    content: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    extension: str


@dataclass
class VideoInfo:
    """What was learnt from opening and decoding a video."""

    container: str
    video_codec: str
    width: int
    height: int
    duration: float


def random_name(extension: str) -> str:
    """A fresh file name, so the user's file name (and any path in it) never reaches the disk."""
    ext = extension.lower()
    if not ext.startswith("."):
        ext = f".{ext}"
    if not re.fullmatch(r"\.[a-z0-9]{1,10}", ext):
        raise ValueError(f"unsafe file extension: {extension!r}")
    return uuid.uuid4().hex + ext


# --- messages ---------------------------------------------------------------------------------


def _image_hint() -> str:
    return _("Upload a JPEG, PNG or WebP image.")


def _pdf_hint() -> str:
    return _("Upload a PDF document.")


def _video_hint() -> str:
    return _("Upload an MP4 (H.264) or WebM (VP8/VP9/AV1) file.")


def _decimal(value: float) -> str:
    """One decimal in the active language's format, without a useless ".0"."""
    if value == int(value):
        return number_format(int(value))
    return number_format(value, decimal_pos=1)


def _human_size(n: int, *, round_up: bool) -> str:
    """A byte count as people read it; the upload is rounded up and the limit down, so "10.1 MB
    is over 10 MB" never reads as "10 MB is over 10 MB"."""
    rounding = math.ceil if round_up else math.floor
    if n >= MiB:
        return _("%(number)s MB") % {"number": _decimal(rounding(n / MiB * 10) / 10)}
    if n >= 1024:
        return _("%(number)s KB") % {"number": _decimal(rounding(n / 1024 * 10) / 10)}
    return ngettext("%(number)s byte", "%(number)s bytes", n) % {"number": number_format(n)}


def _too_large(size: int, limit: int) -> ValidationError:
    message = _("The file is too large (%(size)s); the limit is %(limit)s.") % {
        "size": _human_size(size, round_up=True),
        "limit": _human_size(limit, round_up=False),
    }
    return ValidationError(message, code="too_large")


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> ValidationError:
    megapixels = round(max_pixels / 1_000_000, 2)
    limit = number_format(int(megapixels) if megapixels == int(megapixels) else megapixels)
    if size is None:
        message = _(
            "This picture has too many pixels; the limit is %(limit)s megapixels. "
            "Make it smaller and upload it again."
        ) % {"limit": limit}
    else:
        message = _(
            "This picture is too big (%(width)s × %(height)s pixels); the limit is "
            "%(limit)s megapixels. Make it smaller and upload it again."
        ) % {"width": size[0], "height": size[1], "limit": limit}
    return ValidationError(message, code="too_many_pixels")


def _markup_refusal(kind: str, context: str) -> ValidationError:
    """SVG and HTML can carry scripts; say so plainly and say what to upload instead."""
    hint = {"image": _image_hint, "pdf": _pdf_hint, "video": _video_hint}[context]()
    if kind == "svg":
        if context == "image":
            message = _("SVG images are not accepted; upload a PNG or JPEG instead.")
        else:
            message = f"{_('SVG images are not accepted here.')} {hint}"
        return ValidationError(message, code="svg_refused")
    if kind == "html":
        return ValidationError(
            f"{_('Web pages (HTML) are not accepted.')} {hint}", code="html_refused"
        )
    return _not_the_right_type(context)


def _not_the_right_type(context: str) -> ValidationError:
    if context == "image":
        return ValidationError(
            _("This file is not a picture we can read. Upload a JPEG, PNG or WebP image."),
            code="not_an_image",
        )
    if context == "pdf":
        return ValidationError(
            _("This file is not a PDF. Upload a PDF document."), code="not_a_pdf"
        )
    return ValidationError(
        _(
            "This file is not a video we can play. "
            "Upload an MP4 (H.264) or WebM (VP8/VP9/AV1) file."
        ),
        code="not_a_video",
    )


# --- reading uploads --------------------------------------------------------------------------


def _limit(max_bytes: int | None, setting: str, default: int) -> int:
    return max_bytes if max_bytes is not None else int(getattr(settings, setting, default))


def _rewind(upload: Any) -> None:
    """Leave the upload at its start, so the caller can store the very bytes we checked."""
    seek = getattr(upload, "seek", None)
    if seek is not None:
        with contextlib.suppress(OSError, ValueError):
            seek(0)


def _declared_size(upload: Any) -> int | None:
    size = getattr(upload, "size", None)
    return size if isinstance(size, int) else None


def _check_declared_size(upload: Any, limit: int) -> None:
    """Refuse before reading a byte when the upload already knows its size."""
    size = _declared_size(upload)
    if size is not None and size > limit:
        raise _too_large(size, limit)


def _count_rest(stream: IO[bytes]) -> int:
    total = 0
    while chunk := stream.read(_COPY_CHUNK):
        total += len(chunk)
    return total


def _read_all(upload: Any, limit: int) -> bytes:
    """The upload's bytes, never holding more than limit + 1 of them in memory."""
    _check_declared_size(upload, limit)
    _rewind(upload)
    data = upload.read(limit + 1) or b""
    if len(data) > limit:
        size = len(data) + _count_rest(upload)
        _rewind(upload)
        raise _too_large(size, limit)
    _rewind(upload)
    return bytes(data)


def _read_head(upload: Any, n: int) -> bytes:
    _rewind(upload)
    head = upload.read(n) or b""
    _rewind(upload)
    return bytes(head)


def _markup_kind(data: bytes) -> str | None:
    """Tell SVG, HTML or other markup ("svg", "html", "markup") from binary data (None).

    Browsers render such files as documents, scripts included, whatever their name says.
    """
    head = data[:_SNIFF_BYTES]
    encoding = "utf-8"
    for bom, name in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            head, data, encoding = head[len(bom) :], data[len(bom) :], name
            break
    else:
        if head.startswith(b"<\x00"):
            encoding = "utf-16-le"
        elif head.startswith(b"\x00<"):
            encoding = "utf-16-be"
    text = head.decode(encoding, errors="ignore").lstrip().lower()
    if not text.startswith("<"):
        return None
    if "<svg" in text or "<svg" in data.decode(encoding, errors="ignore").lower():
        return "svg"
    if any(marker in text for marker in _HTML_MARKERS):
        return "html"
    return "markup"


def _refuse_markup(data: bytes, context: str) -> None:
    kind = _markup_kind(data)
    if kind is not None:
        raise _markup_refusal(kind, context)


# --- images -----------------------------------------------------------------------------------


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    if image.width * image.height > max_pixels:
        raise _too_many_pixels(max_pixels, image.size)


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Decode fully: verify() catches broken PNG checksums, load() truncated pixel data."""
    with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as probe:
        # Checked from the header alone, before a single pixel is decompressed.
        _check_pixels(probe, max_pixels)
        probe.verify()
    image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)
    _check_pixels(image, max_pixels)
    image.load()  # the first frame of GIF, APNG and animated WebP
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a damaged EXIF block is ignored, the pixels are still fine."""
    try:
        return ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert through the embedded ICC profile, so colours survive the profile's removal."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile is dropped; the colours are then read as sRGB
    return converted if converted is not None else image


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Bring every decoded mode to RGB, RGBA, L, P or 1, keeping transparency only if used."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if (image.mode == "P" and "transparency" in image.info) or image.mode in (
        "LA",
        "La",
        "PA",
        "RGBa",
    ):
        image = image.convert("RGBA")
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")  # an alpha channel that hides nothing
    return image


def _output_format(image: Image.Image, source_format: str | None) -> tuple[str, str]:
    """WebP stays WebP; transparency and flat graphics (palette, 1-bit) go to PNG, where JPEG
    would smear edges; photos go to JPEG."""
    if source_format == "WEBP":
        return "WEBP", ".webp"
    if image.mode in ("RGBA", "P", "1"):
        return "PNG", ".png"
    return "JPEG", ".jpg"


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=JPEG_QUALITY, method=4)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def _thumbnail(image: Image.Image, fmt: str) -> bytes:
    thumb = image.convert("RGB") if image.mode in ("P", "1") else image.copy()
    size = tuple(getattr(settings, "BIZWEEK_THUMBNAIL_SIZE", THUMBNAIL_SIZE))
    thumb.thumbnail(size, Image.Resampling.LANCZOS)
    thumb.info = {}
    return _encode(thumb, fmt)


def clean_image(
    upload: Any, *, max_bytes: int | None = None, max_pixels: int = 40_000_000
) -> CleanImage:
    """Decode an uploaded picture and re-encode it, so only its pixels are ever stored.

    The EXIF orientation is applied first (phones store portraits sideways), then everything
    but the pixels is dropped. Raises ValidationError with a code and a translated message.
    """
    limit = _limit(max_bytes, "BIZWEEK_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES)
    data = _read_all(upload, limit)
    _refuse_markup(data, "image")
    try:
        image = _open_image(data, max_pixels)
        source_format = "JPEG" if image.format == "MPO" else image.format
        image = _upright(image)
        image = _normalise_mode(_to_srgb(image))
        fmt, extension = _output_format(image, source_format)
        if fmt == "JPEG" and image.mode != "RGB":
            image = image.convert("RGB")
        clean = image.copy()
        clean.info = {}  # EXIF, GPS, XMP, ICC profile, comments: none of it is written
        content = _encode(clean, fmt)
        thumbnail = _thumbnail(clean, fmt)
    except ValidationError:
        raise
    except UnidentifiedImageError as exc:
        raise _not_the_right_type("image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own, larger limit; a warning arrives here only where warnings are errors.
        raise _too_many_pixels(max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise ValidationError(
            _(
                "This picture could not be read; it may be damaged. "
                "Upload a JPEG, PNG or WebP image."
            ),
            code="corrupt",
        ) from exc
    return CleanImage(
        content=ContentFile(content, name=random_name(extension)),
        thumbnail=ContentFile(thumbnail, name=random_name(extension)),
        width=clean.width,
        height=clean.height,
        extension=extension,
    )


# --- PDF --------------------------------------------------------------------------------------


def clean_pdf(upload: Any, *, max_bytes: int | None = None) -> int:
    """Prove an uploaded brochure is a PDF that opens without a password; return its page count.

    The header must sit in the first 1024 bytes (as PDF readers require), and every page must
    resolve, so a truncated or damaged upload is caught here rather than by a visitor.
    """
    limit = _limit(max_bytes, "BIZWEEK_MAX_PDF_BYTES", DEFAULT_MAX_PDF_BYTES)
    data = _read_all(upload, limit)
    _refuse_markup(data, "pdf")
    if b"%PDF-" not in data[:1024]:
        raise _not_the_right_type("pdf")
    corrupt = ValidationError(
        _(
            "This PDF could not be opened; it may be damaged. "
            "Save or export it as a PDF again and upload the new file."
        ),
        code="corrupt",
    )
    locked = ValidationError(
        _("This PDF is protected by a password. Upload a copy that opens without one."),
        code="encrypted",
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise locked
        pages = len(reader.pages)
        for page in reader.pages:
            page.mediabox  # noqa: B018 -- resolving every page object finds broken ones
    except ValidationError:
        raise
    except DependencyError as exc:  # an encryption scheme this installation cannot open
        raise locked from exc
    except Exception as exc:  # pypdf raises many kinds of error on malformed input
        raise corrupt from exc
    if pages == 0:
        raise corrupt
    return pages


# --- video ------------------------------------------------------------------------------------


def _container_family(head: bytes) -> str | None:
    """The container ("mp4", "webm") from its magic bytes, so FFmpeg never probes other formats
    (some of which, like HLS playlists, would make it open further files)."""
    if head.startswith(_EBML_MAGIC):
        return "webm"
    if len(head) >= 8 and head[4:8] in _MP4_FIRST_BOXES:
        if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
            return None
        return "mp4"
    return None


@contextlib.contextmanager
def _local_path(upload: Any, limit: int) -> Iterator[str]:
    """A path FFmpeg can open: Django's temporary file, or a copy of an in-memory upload."""
    temporary_file_path = getattr(upload, "temporary_file_path", None)
    if callable(temporary_file_path):
        path = temporary_file_path()
        size = os.path.getsize(path)
        if size > limit:
            raise _too_large(size, limit)
        yield path
        return
    _rewind(upload)
    with tempfile.NamedTemporaryFile(prefix="bizweek-video-") as copy:
        written = 0
        while chunk := upload.read(_COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                size = written + _count_rest(upload)
                _rewind(upload)
                raise _too_large(size, limit)
            copy.write(chunk)
        copy.flush()
        _rewind(upload)
        yield copy.name


def _codec_name(stream: Any) -> str:
    return stream.codec_context.codec.canonical_name


def _duration(container: Any, stream: Any) -> float:
    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _video_unreadable() -> ValidationError:
    return ValidationError(
        _("This video could not be read. Upload an MP4 (H.264) or WebM (VP8/VP9/AV1) file."),
        code="corrupt",
    )


def _probe_video(path: str, family: str) -> VideoInfo:
    allowed = MP4_CODECS if family == "mp4" else WEBM_CODECS
    demuxer = "mov" if family == "mp4" else "matroska"
    with av.open(path, mode="r", format=demuxer) as container:
        video_streams = list(container.streams.video)
        if not video_streams:
            raise ValidationError(
                _(
                    "This file has no picture, only sound. "
                    "Upload an MP4 (H.264) or WebM (VP8/VP9/AV1) file."
                ),
                code="not_a_video",
            )
        playable = [s for s in video_streams if _codec_name(s) in allowed]
        if not playable:
            raise ValidationError(
                _(
                    "This video is encoded with %(codec)s, which web browsers cannot play. "
                    "Upload an MP4 (H.264) or WebM (VP8/VP9/AV1) file."
                )
                % {"codec": _codec_name(video_streams[0]).upper()},
                code="unsupported_codec",
            )
        stream = playable[0]
        frame = next(iter(container.decode(stream)), None)  # proves the data decodes
        if frame is None:
            raise _video_unreadable()
        return VideoInfo(
            container=family,
            video_codec=_codec_name(stream),
            width=stream.codec_context.width or frame.width,
            height=stream.codec_context.height or frame.height,
            duration=_duration(container, stream),
        )


def clean_video(upload: Any, *, max_bytes: int | None = None) -> VideoInfo:
    """Prove an uploaded video is an MP4 or WebM that browsers can play, by decoding a frame.

    Raises ValidationError with a code and a translated message; returns what the page needs
    to show the video (size, duration).
    """
    limit = _limit(max_bytes, "BIZWEEK_MAX_VIDEO_BYTES", DEFAULT_MAX_VIDEO_BYTES)
    _check_declared_size(upload, limit)
    head = _read_head(upload, _SNIFF_BYTES)
    _refuse_markup(head, "video")
    family = _container_family(head)
    if family is None:
        raise _not_the_right_type("video")
    try:
        with _local_path(upload, limit) as path:
            return _probe_video(path, family)
    except ValidationError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise _video_unreadable() from exc
