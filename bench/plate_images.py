"""Synthetic plate images for the OCR benchmark and its test fixtures.

Renders the plates seen at the VN–CN gates as a camera's plate snapshot would show them:
Vietnamese one-line (`29C-123.45`) and two-line plates (`29C` over `123.45`, trailers
`24R` over `012.34`) on white or yellow; Chinese blue (white text) and yellow (black
text) plates with the province character, `挂` trailer plates and two-line rear plates
of large trucks; green and yellow-green new-energy plates (8 characters). Each image
varies font, size, tilt and perspective, blur, noise, low light and JPEG quality; one
seeded RNG makes the set reproducible.

Fonts are found by file name under /usr/share/fonts (or BORDERFLOW_FONT_DIRS, colon
separated); Chinese glyphs need Noto CJK (Debian: fonts-noto-cjk), Latin ones DejaVu
(fonts-dejavu-core, fonts-dejavu-extra).

Usage: python bench/plate_images.py OUT_DIR [--count 300] [--seed 1]
writes OUT_DIR/NNN.jpg and OUT_DIR/manifest.json ([{"file", "plate", "country", "style"}]).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from borderflow.domain.errors import IdentifierError  # noqa: E402
from borderflow.domain.identifiers.plates import CN_SERIAL, compact, parse_plate  # noqa: E402

LATIN_FONTS = ("DejaVuSansCondensed-Bold.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansCondensed.ttf",
               "DejaVuSansMono-Bold.ttf", "DejaVuSerifCondensed-Bold.ttf", "NotoSansCJK-Bold.ttc")
CJK_FONTS = ("NotoSansCJK-Bold.ttc", "NotoSansCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc")
FONT_PACKAGES = "fonts-dejavu-core fonts-dejavu-extra fonts-noto-cjk"
# Provinces and series as they come to these gates, most often the border provinces.
VN_PROVINCES = ("12", "12", "24", "24", "14", "11", "25", "22", "23", "29", "30", "15", "34", "36", "99", "20")
VN_SERIES = "CCCCCLHDEFGKT"
CN_PROVINCES = "桂桂桂云云粤湘川贵琼闽浙苏鲁豫"
CN_OFFICES = "ABCDEFGHJKLMNPR"

# What a camera may read instead of a character: look-alike digits, and in a Chinese serial
# (where letters and digits mix) a letter of the digit's confusion class.
LOOK_ALIKE_DIGITS = {"3": "8", "8": "3", "6": "8", "5": "6", "1": "7", "7": "1", "0": "8", "9": "8", "2": "7", "4": "1"}
LOOK_ALIKE_LETTERS = {"B": "8", "8": "B", "S": "5", "5": "S", "Z": "2", "2": "Z", "G": "6", "6": "G",
                      "D": "0", "0": "D"}

WHITE, BLACK, YELLOW = (246, 246, 242), (18, 18, 20), (247, 196, 30)
BLUE, GREEN, YELLOW_GREEN = (22, 64, 170), (110, 200, 120), (150, 200, 60)


class FontsMissing(RuntimeError):
    pass


@cache
def font_path(name: str) -> Path:
    dirs = os.environ.get("BORDERFLOW_FONT_DIRS", "/usr/share/fonts:/usr/local/share/fonts").split(":")
    for base in dirs:
        for found in Path(base).rglob(name) if Path(base).is_dir() else ():
            return found
    raise FontsMissing(f"font {name} not found under {':'.join(dirs)}; install the Debian packages "
                       f"{FONT_PACKAGES} (apt-get install -y {FONT_PACKAGES}) or set BORDERFLOW_FONT_DIRS")


def check_fonts() -> None:
    for name in LATIN_FONTS + CJK_FONTS:
        font_path(name)


@dataclass(frozen=True)
class Style:
    name: str
    country: str
    size: tuple[int, int]  # plate width, height in px before the camera's distortions
    background: tuple[int, int, int]
    ink: tuple[int, int, int]
    lines: int = 1
    gradient: tuple[int, int, int] | None = None


STYLES = {
    "vn_white": Style("vn_white", "VN", (520, 110), WHITE, BLACK),
    "vn_yellow": Style("vn_yellow", "VN", (520, 110), YELLOW, BLACK),
    "vn_two_line": Style("vn_two_line", "VN", (330, 165), WHITE, BLACK, lines=2),
    "vn_two_line_yellow": Style("vn_two_line_yellow", "VN", (330, 165), YELLOW, BLACK, lines=2),
    "cn_blue": Style("cn_blue", "CN", (440, 140), BLUE, WHITE),
    "cn_yellow": Style("cn_yellow", "CN", (440, 140), YELLOW, BLACK),
    "cn_trailer": Style("cn_trailer", "CN", (440, 140), YELLOW, BLACK),
    "cn_two_line": Style("cn_two_line", "CN", (440, 220), YELLOW, BLACK, lines=2),
    "cn_new_energy": Style("cn_new_energy", "CN", (480, 140), WHITE, BLACK, gradient=GREEN),
    "cn_new_energy_large": Style("cn_new_energy_large", "CN", (480, 140), YELLOW, BLACK, gradient=YELLOW_GREEN),
}
# Share of each style in a set: trucks dominate at a freight gate.
WEIGHTS = {"vn_white": 2, "vn_yellow": 3, "vn_two_line": 2, "vn_two_line_yellow": 2, "cn_blue": 1,
           "cn_yellow": 3, "cn_trailer": 2, "cn_two_line": 1, "cn_new_energy": 1, "cn_new_energy_large": 1}


def plate_text(style: Style, rng: random.Random) -> tuple[str, ...]:
    """The plate as printed, one string per line; their concatenation parses as the country's plate."""
    if style.country == "VN":
        trailer = style.lines == 2 and rng.random() < 0.4
        head = rng.choice(VN_PROVINCES) + ("R" if trailer else rng.choice(VN_SERIES))
        digits = "".join(rng.choice("0123456789") for _ in range(5))
        tail = f"{digits[:3]}.{digits[3:]}"
        return (head, tail) if style.lines == 2 else (f"{head}-{tail}",)
    head = rng.choice(CN_PROVINCES) + rng.choice(CN_OFFICES)
    letters = [ch for ch in CN_SERIAL if ch.isalpha()]
    digit = lambda: rng.choice("0123456789")  # noqa: E731
    if style.name == "cn_trailer":
        serial = "".join(digit() for _ in range(4)) + "挂"
    elif style.name == "cn_new_energy":
        serial = rng.choice("DF") + rng.choice(letters + list("0123456789")) + "".join(digit() for _ in range(4))
    elif style.name == "cn_new_energy_large":
        serial = "".join(digit() for _ in range(5)) + rng.choice("DF")
    else:
        chars = [digit() for _ in range(5)]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            chars[rng.randrange(4)] = rng.choice(letters)
        serial = "".join(chars)
    return (head, serial) if style.lines == 2 else (f"{head}·{serial}",)


def _glyph(text: str, font: ImageFont.FreeTypeFont, cjk: ImageFont.FreeTypeFont, ink) -> Image.Image:  # noqa: ANN001
    """Text drawn tight on a transparent strip; CJK characters in the CJK font."""
    pieces = [(ch, cjk if ord(ch) > 0x2E80 else font) for ch in text]
    widths = [max(1, int(f.getlength(ch))) for ch, f in pieces]
    size = font.size
    strip = Image.new("L", (sum(widths) + size // 4 * len(pieces), int(size * 1.6)), 0)
    draw, x = ImageDraw.Draw(strip), 0
    for (ch, f), w in zip(pieces, widths, strict=True):
        draw.text((x, size * 0.3), ch, font=f, fill=255)
        x += w + size // 10
    bbox = strip.getbbox() or (0, 0, 1, 1)
    mask = strip.crop(bbox)
    out = Image.new("RGBA", mask.size, (*ink, 0))
    out.putalpha(mask)
    return out


def _paste_fitted(plate: Image.Image, glyph: Image.Image, box: tuple[int, int, int, int]) -> None:
    """Stretch the text to the box as plate makers do: fixed height, width to fill."""
    x0, y0, x1, y1 = box
    width = min(x1 - x0, int(glyph.width * (y1 - y0) / glyph.height * 1.15))
    fitted = glyph.resize((width, y1 - y0), Image.LANCZOS)
    plate.alpha_composite(fitted, (x0 + (x1 - x0 - width) // 2, y0))


def _cells(plate: Image.Image, chars: str, font, cjk, ink, box, dot_after: int | None) -> None:  # noqa: ANN001
    """Characters in equal cells across `box`, with a wider gap (and a dot) after `dot_after` of them."""
    x0, y0, x1, y1 = box
    gap = 0.75 if dot_after is not None else 0.0  # in cell widths
    cell = (x1 - x0) / (len(chars) + gap)
    x = float(x0)
    for i, ch in enumerate(chars):
        glyph = _glyph(ch, font, cjk, ink)
        _paste_fitted(plate, glyph, (int(x + cell * 0.06), y0, int(x + cell * 0.94), y1))
        x += cell
        if dot_after is not None and i + 1 == dot_after:
            r, cy = max(2, int(cell * 0.09)), (y0 + y1) // 2
            dot_x = x + cell * gap / 2
            ImageDraw.Draw(plate).ellipse((dot_x - r, cy - r, dot_x + r, cy + r), fill=(*ink, 255))
            x += cell * gap


def _cn_layout(plate: Image.Image, style: Style, lines: tuple[str, ...], font, cjk, pad: int) -> None:  # noqa: ANN001
    w, h = plate.size
    if style.lines == 1:
        _cells(plate, lines[0].replace("·", ""), font, cjk, style.ink, (pad, int(h * 0.14), w - pad, int(h * 0.86)), 2)
    else:  # rear plate of a large truck: province and office small on top, serial large below
        _cells(plate, lines[0], font, cjk, style.ink, (int(w * 0.3), int(h * 0.07), int(w * 0.7), int(h * 0.36)), None)
        _cells(plate, lines[1], font, cjk, style.ink, (pad, int(h * 0.42), w - pad, int(h * 0.93)), None)


def render_plate(style: Style, lines: tuple[str, ...], rng: random.Random) -> Image.Image:
    w, h = style.size
    plate = Image.new("RGBA", (w, h), (*style.background, 255))
    if style.gradient is not None:  # new-energy plates fade into green (left to right or top to bottom)
        ramp = np.linspace(0, 1, w if style.name.endswith("large") else h)[:, None]
        colours = (1 - ramp) * np.array(style.background) + ramp * np.array(style.gradient)
        grid = colours[None, :, :].repeat(h, 0) if style.name.endswith("large") else colours[:, None, :].repeat(w, 1)
        plate = Image.fromarray(grid.astype("uint8")).convert("RGBA")
    draw = ImageDraw.Draw(plate)
    inset = max(3, h // 22)
    draw.rounded_rectangle((inset, inset, w - inset, h - inset), radius=h // 10, outline=(*style.ink, 255),
                           width=max(2, h // 40))
    font = ImageFont.truetype(str(font_path(rng.choice(LATIN_FONTS))), 96)
    cjk = ImageFont.truetype(str(font_path(rng.choice(CJK_FONTS))), 96)
    pad = inset * 3
    if style.country == "CN":  # GA 36: characters at a fixed pitch, a dot after the issuing office
        _cn_layout(plate, style, lines, font, cjk, pad)
    elif style.lines == 1:
        _paste_fitted(plate, _glyph(lines[0], font, cjk, style.ink), (pad, int(h * 0.14), w - pad, int(h * 0.86)))
    else:
        _paste_fitted(plate, _glyph(lines[0], font, cjk, style.ink),
                      (pad * 2, int(h * 0.08), w - pad * 2, int(h * 0.46)))
        _paste_fitted(plate, _glyph(lines[1], font, cjk, style.ink), (pad, int(h * 0.54), w - pad, int(h * 0.92)))
    return plate


def _perspective(img: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """A camera above and beside the lane: the plate's corners move by up to `strength` of its size."""
    pad = int(max(img.size) * strength) + 2  # room for the corners to move outwards without clipping the plate
    framed = Image.new("RGBA", (img.width + 2 * pad, img.height + 2 * pad), (0, 0, 0, 0))
    framed.paste(img, (pad, pad))
    img, (w, h) = framed, framed.size
    jitter = lambda s: rng.uniform(-strength, strength) * s  # noqa: E731
    src = [(jitter(w), jitter(h)), (w + jitter(w), jitter(h)), (w + jitter(w), h + jitter(h)),
           (jitter(w), h + jitter(h))]
    dst = [(0, 0), (w, 0), (w, h), (0, h)]
    matrix = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coeffs = np.linalg.solve(np.array(matrix, float), np.array(src, float).reshape(8))
    return img.transform((w, h), Image.PERSPECTIVE, tuple(coeffs), Image.BICUBIC, fillcolor=(0, 0, 0, 0))


def photograph(plate: Image.Image, rng: random.Random, *, hard: float) -> tuple[bytes, dict]:
    """The plate as a camera sends it: on a bumper, tilted, blurred, noisy, dim, JPEG-compressed."""
    params = {"tilt": round(rng.uniform(-7, 7) * hard, 1), "perspective": round(rng.uniform(0, 0.08) * hard, 3),
              "blur": round(rng.uniform(0, 1.6) * hard, 2), "noise": round(rng.uniform(0, 18) * hard, 1),
              "light": round(1 - rng.uniform(0, 0.65) * hard, 2), "jpeg": int(90 - rng.uniform(0, 60) * hard),
              "width": rng.randint(150, 420)}
    margin_x, margin_y = int(plate.width * rng.uniform(0.08, 0.35)), int(plate.height * rng.uniform(0.15, 0.6))
    bumper = tuple(rng.randint(30, 200) for _ in range(3))
    scene = Image.new("RGBA", (plate.width + 2 * margin_x, plate.height + 2 * margin_y), (*bumper, 255))
    grain = np.random.default_rng(rng.randrange(2**32)).normal(0, 12, (scene.height, scene.width, 1))
    scene = Image.fromarray(np.clip(np.asarray(scene, float) + np.concatenate([grain] * 3 + [grain * 0], 2), 0, 255)
                            .astype("uint8"))
    warped = _perspective(plate, rng, params["perspective"]).rotate(params["tilt"], Image.BICUBIC, expand=True)
    scene.alpha_composite(warped, ((scene.width - warped.width) // 2, (scene.height - warped.height) // 2))
    image = scene.convert("RGB")
    scale = params["width"] / plate.width
    image = image.resize((max(8, int(image.width * scale)), max(8, int(image.height * scale))), Image.LANCZOS)
    if params["blur"] > 0.05:
        image = image.filter(ImageFilter.GaussianBlur(params["blur"] * scale * 2))
    image = ImageEnhance.Brightness(image).enhance(params["light"])
    pixels = np.asarray(image, float)
    pixels += np.random.default_rng(rng.randrange(2**32)).normal(0, params["noise"], pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=params["jpeg"])
    return out.getvalue(), params


def _valid(plate: str, country: str) -> bool:
    try:
        parse_plate(plate, country, trailer=plate.endswith("挂") or (country == "VN" and plate[2:3] == "R"))
    except IdentifierError:
        return False
    return True


def decoy(plate: str, country: str, rng: random.Random) -> str | None:
    """A valid plate one character away from `plate` that a camera could plausibly read instead.

    Declared beside the true plate, it is the truck a misread would wrongly match.
    """
    plate = compact(plate)
    tries = []
    for i, ch in enumerate(plate):
        for table in (LOOK_ALIKE_DIGITS, LOOK_ALIKE_LETTERS if country == "CN" else {}):
            if ch in table:
                tries.append(plate[:i] + table[ch] + plate[i + 1:])
    if country == "CN":
        tries += [other + plate[1:] for other in "桂云粤" if other != plate[0]]
    else:
        tries += [plate[:2] + series + plate[3:] for series in "CHLK" if series != plate[2]]
    tries += [plate[:i] + rng.choice("0123456789") + plate[i + 1:] for i in range(len(plate) - 4, len(plate))]
    rng.shuffle(tries)
    return next((t for t in tries if t != plate and _valid(t, country)), None)


def generate(count: int, seed: int) -> list[tuple[bytes, dict]]:
    """`count` images with their truth: styles in WEIGHTS' proportions, difficulty spread evenly."""
    check_fonts()
    rng = random.Random(seed)
    names = [name for name, weight in WEIGHTS.items() for _ in range(weight)]
    images = []
    for i in range(count):
        style = STYLES[names[i % len(names)]]
        lines = plate_text(style, rng)
        trailer = "挂" in lines[-1] or (style.country == "VN" and lines[0].endswith("R"))
        truth = parse_plate("".join(lines), style.country, trailer=trailer)
        jpeg, params = photograph(render_plate(style, lines, rng), rng, hard=(i * 0.618) % 1)
        images.append((jpeg, {"plate": truth.display, "country": style.country, "style": style.name,
                              "lines": list(lines), "decoy": decoy(truth.display, style.country, rng), **params}))
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        images = generate(args.count, args.seed)
    except FontsMissing as exc:
        sys.exit(str(exc))
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for i, (jpeg, truth) in enumerate(images):
        name = f"{i:03d}.jpg"
        (args.out / name).write_bytes(jpeg)
        manifest.append({"file": name, **truth})
    (args.out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(images)} images, {sum(len(j) for j, _ in images) // 1024} KiB, in {args.out}")


if __name__ == "__main__":
    main()
