"""Make the poster font: WenQuanYi Micro Hei cut to ASCII, CJK punctuation and GB2312's 3,755
level-one hanzi (the common characters). Needs fontTools (not a KPay dependency):
``python make_subset.py SOURCE.ttc OUT.ttf``."""
import sys

from fontTools import subset
chars = set(chr(c) for c in range(0x20, 0x7F))
chars |= set("·•…—–‘’“”¥€£©®™×÷°") | set(chr(c) for c in range(0x3000, 0x3020)) | set(chr(c) for c in range(0xFF01, 0xFF5F))
for hi in range(0xB0, 0xD8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
for hi in range(0xA1, 0xAA):  # GB2312 symbols, fullwidth forms
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
options = subset.Options()
options.font_number = 0
options.hinting = False
options.desubroutinize = True
options.layout_features = []
options.name_IDs = ["*"]
options.notdef_outline = True
font = subset.load_font(sys.argv[1], options)
sub = subset.Subsetter(options)
sub.populate(text="".join(chars))
sub.subset(font)
font.flavor = None
subset.save_font(font, sys.argv[2], options)
