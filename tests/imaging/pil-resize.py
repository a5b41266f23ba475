#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Expected values for the model-input tests, from PIL (python3-pil):
#   pil-resize.py resize IN.raw W H CHANNELS OUT_W OUT_H OUT.raw
#       Image.resize((OUT_W, OUT_H), Image.BILINEAR) of raw 8-bit L or RGB samples
#   pil-resize.py model IN.png SIZE OUT.raw [X Y W H]
#       convert('RGB'), optional crop, pad to a square with black (centred),
#       resize to SIZE × SIZE with Image.BILINEAR; raw RGB out
import sys
from PIL import Image


def resize(args):
    src, w, h, ch, ow, oh, out = args
    w, h, ch, ow, oh = int(w), int(h), int(ch), int(ow), int(oh)
    mode = {1: "L", 3: "RGB"}[ch]
    with open(src, "rb") as f:
        im = Image.frombytes(mode, (w, h), f.read())
    with open(out, "wb") as f:
        f.write(im.resize((ow, oh), Image.BILINEAR).tobytes())


def model(args):
    src, size, out = args[:3]
    size = int(size)
    im = Image.open(src).convert("RGB")
    if len(args) == 7:
        x, y, w, h = (int(v) for v in args[3:])
        im = im.crop((x, y, x + w, y + h))
    side = max(im.size)
    square = Image.new("RGB", (side, side), (0, 0, 0))
    square.paste(im, ((side - im.size[0]) // 2, (side - im.size[1]) // 2))
    with open(out, "wb") as f:
        f.write(square.resize((size, size), Image.BILINEAR).tobytes())


{"resize": resize, "model": model}[sys.argv[1]](sys.argv[2:])
