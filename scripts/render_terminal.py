#!/usr/bin/env python3
"""Renders a terminal screen captured with `tmux capture-pane -p -e` (text with ANSI SGR colour
codes) as a PNG, with a title bar. Needs Pillow and the DejaVu Sans Mono font.

    render_terminal.py CAPTURE.txt OUT.png "title"
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
BACKGROUND = (30, 30, 36)
FOREGROUND = (220, 220, 220)
PALETTE = {  # xterm-like colours for SGR 30-37 and 90-97
    30: (40, 40, 40), 31: (224, 85, 85), 32: (80, 200, 120), 33: (220, 190, 80),
    34: (90, 140, 230), 35: (200, 110, 220), 36: (80, 200, 210), 37: (220, 220, 220),
    90: (128, 128, 128), 91: (255, 110, 110), 92: (110, 235, 140), 93: (250, 220, 100),
    94: (120, 170, 255), 95: (230, 140, 250), 96: (110, 230, 240), 97: (255, 255, 255),
}
SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]")


def spans(line):
    """(text, colour, dim, bold) pieces of one line."""
    colour, dim, bold = FOREGROUND, False, False
    position = 0
    line = OTHER_ESCAPES.sub("", line)
    for match in SGR.finditer(line):
        if match.start() > position:
            yield line[position:match.start()], colour, dim, bold
        codes = [int(c) for c in match.group(1).split(";") if c] or [0]
        index = 0
        while index < len(codes):
            code = codes[index]
            if code == 0:
                colour, dim, bold = FOREGROUND, False, False
            elif code == 1:
                bold = True
            elif code == 2:
                dim = True
            elif code in (22,):
                dim, bold = False, False
            elif code == 39:
                colour = FOREGROUND
            elif code in PALETTE:
                colour = PALETTE[code]
            elif code == 38 and index + 2 < len(codes) and codes[index + 1] == 5:
                colour = PALETTE.get(30 + codes[index + 2] % 8, FOREGROUND)
                index += 2
            index += 1
        position = match.end()
    if position < len(line):
        yield line[position:], colour, dim, bold


def render(capture, out, title):
    lines = capture.rstrip("\n").split("\n")
    font = ImageFont.truetype(FONT, 15)
    bold_font = ImageFont.truetype(BOLD, 15)
    cell_w = font.getbbox("M")[2]
    cell_h = 20
    columns = max([len(OTHER_ESCAPES.sub("", SGR.sub("", l))) for l in lines] + [60])
    bar = 28
    width, height = columns * cell_w + 24, len(lines) * cell_h + bar + 20
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, bar], fill=(55, 55, 64))
    for i, colour in enumerate([(237, 106, 94), (245, 191, 79), (98, 197, 84)]):
        draw.ellipse([10 + i * 20, 8, 22 + i * 20, 20], fill=colour)
    draw.text((80, 6), title, font=font, fill=(200, 200, 200))
    for row, line in enumerate(lines):
        x = 12
        y = bar + 10 + row * cell_h
        for text, colour, dim, bold in spans(line):
            if dim:
                colour = tuple(int(c * 0.6) for c in colour)
            draw.text((x, y), text, font=bold_font if bold else font, fill=colour)
            x += len(text) * cell_w
    image.save(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        render(f.read(), sys.argv[2], sys.argv[3])
