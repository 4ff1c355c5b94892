"""QR codes of room links, drawn on the server as small SVG images."""

import io

import segno

QUIET_ZONE_MODULES = 2


def qr_svg(url):
    """Return an SVG image (bytes) of a QR code that encodes `url`.

    Dark modules on a white ground in every theme, because phone cameras
    read that best; the image scales to any size through its viewBox.
    """
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        border=QUIET_ZONE_MODULES,
        dark="#000",
        light="#fff",
        xmldecl=False,
        omitsize=True,
        svgclass=None,
        lineclass=None,
    )
    return out.getvalue()
