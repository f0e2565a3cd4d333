"""A Fontconfig configuration that holds only the book's fonts.

WeasyPrint's FontConfiguration starts from every font installed on the machine, and Pango
draws a character that the stylesheets' fonts lack with whichever installed font has it:
the same book then prints differently on another machine, in a font nobody chose. Here the
system's configuration rules are loaded (they matter: without them a colour emoji font's
bitmaps are drawn at the wrong size) but not its fonts, so the @font-face fonts are the
only ones there are. A character none of them has is drawn as .notdef, which WeasyPrint
logs and the build reports (fonts.check_characters says which, and where, before layout).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

from weasyprint.text.ffi import ffi, gobject, pangoft2
from weasyprint.text.fonts import FontConfiguration


@cache
def _fontconfig() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("fontconfig") or "libfontconfig.so.1")
    lib.FcInitLoadConfig.restype = ctypes.c_void_p
    lib.FcConfigDestroy.argtypes = [ctypes.c_void_p]
    return lib


class BookFontConfiguration(FontConfiguration):
    """FontConfiguration without the machine's fonts (see the module's docstring)."""

    def __init__(self) -> None:  # replaces FontConfiguration.__init__ (weasyprint 70.0)
        self._folder = None
        lib = _fontconfig()
        config = lib.FcInitLoadConfig()  # the configuration files, without building the font set
        self._config = ffi.cast("FcConfig *", config)
        self.font_map = ffi.gc(pangoft2.pango_ft2_font_map_new(), gobject.g_object_unref)
        pangoft2.pango_fc_font_map_set_config(ffi.cast("PangoFcFontMap *", self.font_map), self._config)
        lib.FcConfigDestroy(config)  # the font map keeps a reference
        self.strut_layouts: dict = {}
        self.font_features: dict = {}
